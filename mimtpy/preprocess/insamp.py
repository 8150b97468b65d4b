"""InSAMP export (``insamp`` step, script ``save_insamp.py``): the ROI_PAC files InSAMP reads,
``<outname>.unw`` (phase in radians, -4 pi d / lambda), ``.cor`` and ``.los`` (line-interleaved
incidence and heading, the layout InSAMP reads; MimtPy wrote it band-sequential), each with a
``.rsc`` carrying WIDTH, FILE_LENGTH, X/Y_FIRST, X/Y_STEP, WAVELENGTH, HEADING_DEG, DATE12 and
TIME_SPAN_YEAR (:mod:`mimtpy.preprocess.roipacfmt`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.context import Plan, RunContext, Step
from mimtpy.preprocess._base import ExportConfig
from mimtpy.preprocess.roipac import plan_files, run_files

FILES = ("unw", "cor", "los")


@dataclass(frozen=True)
class InsampConfig(ExportConfig):
    SECTION: ClassVar[str] = "insamp"
    HELP: ClassVar[str] = "InSAMP input: ROI_PAC .unw/.cor/.los with .rsc"


def plan(cfg: InsampConfig, ctx: RunContext) -> Plan:
    return plan_files(cfg, ctx, FILES)


def run(cfg: InsampConfig, ctx: RunContext) -> list[Path]:
    return run_files(cfg, ctx, FILES)


STEP = Step("insamp", "preprocess", InsampConfig, plan, run, scripts=("save_insamp.py",))

"""GeodMod export (``geodmod`` step, script ``save_geodmod.py``): ROI_PAC ``<outname>.unw``,
``.cor``, ``.dem`` and ``.los`` with ``.rsc`` on the (really) cropped grid: WIDTH/FILE_LENGTH,
X_FIRST/Y_FIRST and the corner coordinates describe the cropped data (MimtPy changed
WIDTH/FILE_LENGTH without cropping). See :mod:`mimtpy.preprocess.roipacfmt` for the layouts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.context import Plan, RunContext, Step
from mimtpy.preprocess._base import ExportConfig
from mimtpy.preprocess.roipac import plan_files, run_files

FILES = ("unw", "cor", "dem", "los")


@dataclass(frozen=True)
class GeodmodConfig(ExportConfig):
    SECTION: ClassVar[str] = "geodmod"
    HELP: ClassVar[str] = "GeodMod input: cropped ROI_PAC .unw/.cor/.dem/.los with .rsc"


def plan(cfg: GeodmodConfig, ctx: RunContext) -> Plan:
    return plan_files(cfg, ctx, FILES)


def run(cfg: GeodmodConfig, ctx: RunContext) -> list[Path]:
    return run_files(cfg, ctx, FILES)


STEP = Step("geodmod", "preprocess", GeodmodConfig, plan, run, scripts=("save_geodmod.py",))

"""ROI_PAC export (``roipac`` step, script ``save_roipac.py``): ``<outname>.unw``, ``.cor``, ``.dem``
(when the product or geometry file has a height) and ``.los``, each with its ``.rsc``
(:mod:`mimtpy.preprocess.roipacfmt`: BIL float32, phase = -4 pi d / lambda, .los line-interleaved
incidence/heading). Readable by mimtpy's ROI_PAC reader and MintPy's ``readfile``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.context import Plan, RunContext, Step
from mimtpy.preprocess._base import ExportConfig, out_folder, out_name, plan_inputs

#: files written (the DEM only when a height exists)
FILES = ("unw", "cor", "dem", "los")


@dataclass(frozen=True)
class RoipacConfig(ExportConfig):
    SECTION: ClassVar[str] = "roipac"
    HELP: ClassVar[str] = "ROI_PAC .unw/.cor/.dem/.los with .rsc"


def plan_files(cfg: ExportConfig, ctx: RunContext, files: tuple[str, ...]) -> Plan:
    p = plan_inputs(cfg, ctx)
    folder, name = out_folder(cfg, ctx), out_name(cfg)
    for kind in files:
        if kind != "dem":   # the DEM is written only when a height exists
            p.outputs += [folder / f"{name}.{kind}", folder / f"{name}.{kind}.rsc"]
    return p


def run_files(cfg: ExportConfig, ctx: RunContext, files: tuple[str, ...], extra_rsc: dict | None = None) -> list[Path]:
    """Shared run of the ROI_PAC-format exporters (roipac, insamp, geodmod)."""
    from mimtpy.errors import InputError
    from mimtpy.preprocess import roipacfmt
    from mimtpy.preprocess._base import load

    p = plan_files(cfg, ctx, files)
    p.raise_problems(cfg.SECTION, InputError)
    if ctx.is_current(p.outputs, p.inputs, ctx.settings(cfg)):
        return p.outputs
    inp = load(cfg, ctx)
    return roipacfmt.write_roipac_set(inp, out_folder(cfg, ctx), out_name(cfg), cfg.wavelength, files, extra_rsc)


def plan(cfg: RoipacConfig, ctx: RunContext) -> Plan:
    return plan_files(cfg, ctx, FILES)


def run(cfg: RoipacConfig, ctx: RunContext) -> list[Path]:
    return run_files(cfg, ctx, FILES)


STEP = Step("roipac", "preprocess", RoipacConfig, plan, run, scripts=("save_roipac.py",))

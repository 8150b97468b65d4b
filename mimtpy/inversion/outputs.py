"""Where the inversion writes (the step module and the engine both need it; pure Python)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mimtpy.context import RunContext
    from mimtpy.inversion.invert import InversionConfig

OUTPUT_NAMES = ("timeseries.h5", "temporalCoherence.h5", "numInvIfgram.h5", "numComponent.h5", "residualRMS.h5",
                "velocity.h5")


def output_dir(cfg: InversionConfig, ctx: RunContext) -> Path:
    return ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "inversion"


def outputs(cfg: InversionConfig, ctx: RunContext) -> list[Path]:
    out = output_dir(cfg, ctx)
    return [out / name for name in OUTPUT_NAMES] + ([out / "network.png"] if cfg.figure else [])

"""Skip logic for steps whose outputs are GeoTIFF/CSV/NetCDF (no .h5 to hold the settings): a small JSON
stamp beside the outputs records the settings they were made with (:meth:`mimtpy.context.RunContext.record`)."""

from __future__ import annotations

from pathlib import Path

from mimtpy.context import RunContext


def is_current(ctx: RunContext, stamp: Path, outputs: list[Path], inputs: list[Path], settings: dict) -> bool:
    """True when every output exists, is newer than the inputs, and ``stamp`` holds ``settings``."""
    return ctx.is_current(outputs, inputs, settings, stamp)


def write_stamp(stamp: Path, settings: dict, outputs: list[Path] = ()) -> None:
    RunContext.record(stamp, settings, list(outputs))

"""Skip logic for steps whose outputs are GeoTIFF/CSV/NetCDF (no .h5 to hold the settings): a small JSON
stamp beside the outputs records the settings they were made with."""

from __future__ import annotations

import json
from pathlib import Path

from mimtpy.context import RunContext
from mimtpy.io.atomic import atomic_output


def is_current(ctx: RunContext, stamp: Path, outputs: list[Path], inputs: list[Path], settings: dict) -> bool:
    """True when every output exists, is newer than the inputs, and ``stamp`` holds ``settings``."""
    if not stamp.exists() or not ctx.is_current(outputs, inputs, settings):
        return False
    try:
        return json.loads(stamp.read_text()) == settings
    except (OSError, ValueError):
        return False


def write_stamp(stamp: Path, settings: dict) -> None:
    with atomic_output(stamp) as tmp:
        tmp.write_text(json.dumps(settings, sort_keys=True, indent=1))

"""Horizontal and vertical motion from the overlap of two adjacent tracks of one look direction
(script ``overlap2horz_vert.py``).

In the overlap strip the two tracks see each pixel from the same side at different incidence
angles (near range of one, far range of the other). With each pixel's own incidence and
azimuth, ``d_i = sin(inc_i) cos(az_i - alpha) H + cos(inc_i) U`` is solved as in
:mod:`mimtpy.analysis.horzvert`, with ``alpha`` the horizontal direction (default: the median
LOS azimuth of the first track, i.e. horizontal motion in the look direction). The geometry
differs only by the incidence difference, so the system is poorly conditioned: read ``cond``
and the propagated std before trusting the result.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy.analysis.decompose import check_tracks, decompose, prepare_tracks, write_decomposition
from mimtpy.context import RunContext
from mimtpy.errors import InputError

if TYPE_CHECKING:
    from mimtpy.analysis.horzvert import HorzvertConfig

logger = logging.getLogger(__name__)


def run_overlap(cfg: HorzvertConfig, ctx: RunContext, look_azimuth: bool = True) -> list[Path]:
    """Decompose the overlap of two same-direction tracks; ``look_azimuth`` uses the LOS azimuth as
    the horizontal direction instead of ``cfg.azimuth``."""
    tracks, _grid = prepare_tracks(cfg, ctx)
    check_tracks(tracks, allow_same_direction=True)
    if len(tracks) != 2:
        raise InputError(f"overlap2horz_vert needs exactly two tracks, got {len(tracks)}")
    directions = {t.direction for t in tracks}
    if len(directions) != 1:
        raise InputError(f"overlap2horz_vert is for two tracks of one look direction; got {sorted(directions)} "
                         "(use generate_horzvert.py for ascending + descending)")
    if look_azimuth:
        az = np.degrees(np.arctan2(-tracks[0].east, tracks[0].north))
        cfg = dataclasses.replace(cfg, azimuth=float(np.nanmedian(az)))
        logger.info("horizontal direction = median LOS azimuth of %s: %.2f deg", tracks[0].name, cfg.azimuth)
    dec = decompose(tracks, cfg.azimuth, weighted=cfg.weighted)
    solved = np.isfinite(dec.components["up"])
    if not solved.any():
        raise InputError(f"{tracks[0].path} and {tracks[1].path} have no valid pixel in common")
    logger.info("overlap: %d pixels, median cond %.1f", int(solved.sum()), float(np.nanmedian(dec.cond)))
    outdir = ctx.resolve(cfg.outdir) if cfg.outdir else ctx.project_dir / "overlap"
    return write_decomposition(dec, tracks, cfg, outdir, ctx.settings(cfg))

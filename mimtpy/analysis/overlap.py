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

from pathlib import Path
from typing import TYPE_CHECKING

from mimtpy.analysis.decompose import run_decomposition
from mimtpy.context import RunContext

if TYPE_CHECKING:
    from mimtpy.analysis.horzvert import HorzvertConfig



def run_overlap(cfg: HorzvertConfig, ctx: RunContext, look_azimuth: bool = True) -> list[Path]:
    """Decompose the overlap of two same-direction tracks (block by block, as horzvert); ``look_azimuth``
    uses the median LOS azimuth of the first track as the horizontal direction instead of ``cfg.azimuth``."""
    return run_decomposition(cfg, ctx, overlap=True, along_look=look_azimuth)

"""Product-level operations the exporters borrow from other step packages, for now.

# TODO(ops): the lead moves these to ``mimtpy.ops.velocity`` (select_period, compute_velocity,
# compute_displacement) and ``mimtpy.ops.geometry`` (load_geometry) with the same names and
# signatures, and changes only this module. Nothing else in ``mimtpy.preprocess`` imports
# ``mimtpy.basic`` or ``mimtpy.analysis``.
"""

from __future__ import annotations

from mimtpy.analysis.tracks import load_geometry  # TODO(ops): mimtpy.ops.geometry.load_geometry
from mimtpy.basic.velcumu import (  # TODO(ops): mimtpy.ops.velocity
    compute_displacement,
    compute_velocity,
    select_period,
)

__all__ = ["compute_displacement", "compute_velocity", "load_geometry", "select_period"]

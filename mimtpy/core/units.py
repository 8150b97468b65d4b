"""Unit tables (text -> factor to SI): the one home of what each unit text LiCSBAS, MintPy, GAMMA and
GeoTIFF tags use means; :mod:`mimtpy.ops.units` and the readers of :mod:`mimtpy.io` build on it."""

from __future__ import annotations

#: length unit (lower case) -> metres
LENGTH = {"m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0, "cm": 0.01, "mm": 0.001}
#: rate unit (lower case) -> metres/year
RATE = {"m/year": 1.0, "m/yr": 1.0, "m/a": 1.0, "cm/year": 0.01, "cm/yr": 0.01, "mm/year": 0.001,
        "mm/yr": 0.001, "mm/a": 0.001}

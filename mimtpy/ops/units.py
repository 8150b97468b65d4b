"""Units: what mimtpy stores (metres, metres/year, radians) and what maps show (mm, mm/yr).

One table for every step: :data:`LENGTH` and :data:`RATE` give the factor to SI of each unit
text MintPy, LiCSBAS, GAMMA and GeoTIFF tags use; :func:`unit_of` reads a dataset's unit;
:func:`display_unit` gives the unit and factor a figure uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mimtpy.core.units import LENGTH, RATE
from mimtpy.errors import ProductError

if TYPE_CHECKING:
    from mimtpy.io import Product

PHASE = ("radian", "radians", "rad")
#: unit text (lower case) -> (quantity, factor to SI)
UNITS = {**{k: ("displacement", v) for k, v in LENGTH.items()}, **{k: ("velocity", v) for k, v in RATE.items()}}
#: stored SI unit -> (display unit, factor)
DISPLAY_UNITS = {"m/year": ("mm/yr", 1000.0), "m/yr": ("mm/yr", 1000.0), "m": ("mm", 1000.0)}


def unit_text(product: Product, dataset: str) -> str:
    """The unit of a dataset: its own UNIT, else the file's UNIT attribute ('' when neither)."""
    return (product.datasets[dataset].unit or product.attrs.get("UNIT", "")).strip()


def unit_of(product: Product, dataset: str) -> tuple[str, float]:
    """(quantity, factor to SI) of a dataset, from its UNIT; ProductError for unknown units."""
    text = unit_text(product, dataset)
    if text.lower() in UNITS:
        return UNITS[text.lower()]
    raise ProductError(f"{product.path}: dataset '{dataset}' has unit '{text or 'none'}'; expected one of "
                       f"{', '.join(sorted(set(UNITS)))} (set the UNIT attribute)")


def display_unit(stored: str) -> tuple[str, float]:
    """(display unit, factor) of a stored unit: m/year -> mm/yr x1000, m -> mm x1000, others unchanged."""
    return DISPLAY_UNITS.get(stored, (stored, 1.0))

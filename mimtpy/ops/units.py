"""Units: what mimtpy stores (metres, metres/year, radians) and what maps show (mm, mm/yr).

One table for every step: :data:`LENGTH` and :data:`RATE` give the factor to SI of each unit
text MintPy, LiCSBAS, GAMMA and GeoTIFF tags use; :func:`unit_of` reads a dataset's unit;
:func:`display_unit` gives the unit and factor a figure uses.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mimtpy.core.units import LENGTH, RATE
from mimtpy.errors import ProductError

logger = logging.getLogger(__name__)

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


def dataset_unit(product: Product, dataset: str) -> str:
    """The unit of any dataset for labelling outputs: its own UNIT, else MintPy's unit of that dataset
    name (incidenceAngle: degrees, mask: 1, ...), else the file's UNIT attribute ('' when none)."""
    from mimtpy.io.hdf5 import HDFEOS_UNITS

    own = product.datasets[dataset].unit.strip()
    if own:
        return own
    if dataset in HDFEOS_UNITS and dataset not in ("displacement",):
        return HDFEOS_UNITS[dataset]
    return str(product.attrs.get("UNIT", "")).strip()


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


#: a GNSS velocity grid without a unit whose 99th percentile of |value| exceeds this is taken as mm/yr
#: (no tectonic velocity reaches 0.3 m/yr; a field in mm/yr of any active region exceeds 0.3 mm/yr)
UNITLESS_MM_THRESHOLD = 0.3


def rate_factor(product: Product, dataset: str, what: str = "velocity grid") -> float:
    """Factor to m/yr of a velocity dataset: from its unit; a dataset without unit (GMT grids, GeoTIFFs of
    interpolated GNSS fields) is mm/yr when the 99th percentile of |value| on a sample of rows exceeds
    :data:`UNITLESS_MM_THRESHOLD`, else m/yr; either guess is logged as a warning naming the file."""
    import numpy as np

    text = unit_text(product, dataset)
    if text:
        quantity, factor = unit_of(product, dataset)
        if quantity != "velocity":
            raise ProductError(f"{product.path}: {what} '{dataset}' is in {text}; a velocity (m/yr, mm/yr) is expected")
        return factor
    length = product.grid.length
    rows = np.unique(np.linspace(0, length - 1, min(length, 64)).astype(int))
    sample = np.concatenate([np.ravel(product.read(dataset, slice(r, r + 1))) for r in rows]).astype(float)
    sample = np.abs(sample[np.isfinite(sample)])
    if sample.size == 0:
        raise ProductError(f"{product.path}: {what} '{dataset}' has no valid value")
    mm = float(np.percentile(sample, 99)) > UNITLESS_MM_THRESHOLD
    logger.warning(
        "%s: %s without a unit; its values (99th percentile |v| = %.3g) are read as %s (set a UNIT/units "
        "attribute to say so)", product.path.name, what, float(np.percentile(sample, 99)), "mm/yr" if mm else "m/yr")
    return 1e-3 if mm else 1.0

"""Forward models of surface deformation, vectorised over points (pure NumPy).

Every model takes ``east``, ``north`` (arrays, metres, relative to the model's reference point) and keyword
parameters in SI units, and returns the east, north, up displacement (or velocity) at the free surface.

* :func:`okada` - rectangular dislocation (Okada 1985), reference = centre of the top edge;
* :func:`mogi` - point source of volume change (Mogi 1958);
* :func:`screw_dislocation` - interseismic vertical strike-slip fault (Savage & Burford 1973).

:data:`MODELS` maps a model name to its function and its parameter names (those the grid search varies),
with defaults for the optional ones. Conventions: ``docs/models.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mimtpy.models.okada import okada
from mimtpy.models.sources import mogi, screw_dislocation


@dataclass(frozen=True)
class ModelSpec:
    """A forward model: ``function(east, north, **params) -> (de, dn, du)``; ``params`` in the order the
    compiled grid search takes them; ``defaults`` for the optional ones; ``linear`` = the parameters the
    displacement is proportional to (a model scale factor trades off with them)."""

    name: str
    function: Callable
    params: tuple[str, ...]
    defaults: dict[str, float] = field(default_factory=dict)
    linear: tuple[str, ...] = ()
    units: dict[str, str] = field(default_factory=dict)


MODELS: dict[str, ModelSpec] = {
    "okada": ModelSpec("okada", okada,
                       ("depth", "strike", "dip", "length", "width", "rake", "slip", "opening", "nu"),
                       {"opening": 0.0, "nu": 0.25}, ("slip", "opening"),
                       {"depth": "m", "strike": "deg", "dip": "deg", "length": "m", "width": "m", "rake": "deg",
                        "slip": "m", "opening": "m", "nu": ""}),
    "mogi": ModelSpec("mogi", mogi, ("depth", "dvolume", "nu"), {"nu": 0.25}, ("dvolume",),
                      {"depth": "m", "dvolume": "m3", "nu": ""}),
    "screw": ModelSpec("screw", screw_dislocation, ("strike", "slip_rate", "locking_depth"), {}, ("slip_rate",),
                       {"strike": "deg", "slip_rate": "m/yr", "locking_depth": "m"}),
}

__all__ = ["MODELS", "ModelSpec", "mogi", "okada", "screw_dislocation"]

"""The main dataset of a product: the one a step uses when the user names none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mimtpy.errors import InputError

if TYPE_CHECKING:
    from mimtpy.io import Product

#: FILE_TYPEs that name their main dataset (MintPy): a file of one of these without that dataset is refused
NAMED_BY_FILE_TYPE = ("velocity", "displacement", "timeseries", "temporalCoherence", "avgSpatialCoherence", "mask",
                      "coherence")
#: datasets preferred, in order, when FILE_TYPE names none of the file's datasets
PREFERRED = ("velocity", "displacement", "timeseries")


def require_named_main(product: Product) -> None:
    """InputError when the product's FILE_TYPE names a dataset (:data:`NAMED_BY_FILE_TYPE`) it lacks."""
    if product.file_type in NAMED_BY_FILE_TYPE and product.file_type not in product.datasets:
        have = ", ".join(product.datasets) or "none"
        raise InputError(f"{product.path}: FILE_TYPE={product.file_type} but no '{product.file_type}' dataset (the "
                         f"file has: {have}); name the dataset to use (dataname/type)")


def main_dataset(product: Product, allow_3d: bool = True) -> str:
    """The dataset named like FILE_TYPE, else the first of velocity/displacement/timeseries, else the
    first dataset; 2-D ones only unless ``allow_3d``. InputError when the product has none, or when its
    FILE_TYPE names a dataset it lacks (a velocity.h5 without ``velocity`` is not drawn as its std)."""
    usable = [n for n, info in product.datasets.items() if allow_3d or not info.is_3d]
    require_named_main(product)
    for name in (product.file_type, *PREFERRED):
        if name in usable:
            return name
    if usable:
        return usable[0]
    raise InputError(f"{product.path}: no 2-D dataset (a time series needs velcumu first)")


def zero_masking(product: Product, name: str, mode: str | None) -> bool:
    """Whether exact zeros of dataset ``name`` are no data: ``yes``/``no``, or auto = velocity of MintPy files
    (MintPy writes 0 for masked pixels; LiCSBAS/LiCSAR, GeoTIFF and other products mark no data with NaN, so
    their zeros are data). Maps and profiles use the same rule; the reference pixel (0 by definition) is data."""
    mode = (mode or "auto").lower()
    if mode in ("yes", "no"):
        return mode == "yes"
    mintpy = product.family in ("mintpy", "hdfeos5")
    return mintpy and (product.file_type == "velocity" or name in ("velocity", "velocityStd"))

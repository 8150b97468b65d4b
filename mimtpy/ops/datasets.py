"""The main dataset of a product: the one a step uses when the user names none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mimtpy.errors import InputError

if TYPE_CHECKING:
    from mimtpy.io import Product

#: datasets preferred, in order, when FILE_TYPE names none of the file's datasets
PREFERRED = ("velocity", "displacement", "timeseries")


def main_dataset(product: Product, allow_3d: bool = True) -> str:
    """The dataset named like FILE_TYPE, else the first of velocity/displacement/timeseries, else the
    first dataset; 2-D ones only unless ``allow_3d``. InputError when the product has none."""
    usable = [n for n, info in product.datasets.items() if allow_3d or not info.is_3d]
    for name in (product.file_type, *PREFERRED):
        if name in usable:
            return name
    if usable:
        return usable[0]
    raise InputError(f"{product.path}: no 2-D dataset (a time series needs velcumu first)")

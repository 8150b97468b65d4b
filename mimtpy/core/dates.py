"""Dates: YYYYMMDD strings and MintPy's decimal years."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mimtpy.errors import InputError

if TYPE_CHECKING:
    import numpy as np


def parse_date(text: str, what: str = "date") -> dt.date:
    """Parse a YYYYMMDD string; InputError names ``what`` on failure."""
    text = str(text).strip()
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise InputError(f"{what}: '{text}' is not a date in YYYYMMDD form") from None


def decimal_years(dates: Sequence[str], seconds: float = 0.0) -> np.ndarray:
    """Decimal years exactly as MintPy computes them (``ptime.date_list2vector``).

    ``year + (day_of_year - 1) / 365.25 + seconds / (365.25 * 86400)``. Note the jump at
    each new year is not 1/365.25; using the same definition keeps velocities identical
    to MintPy's.
    """
    import numpy as np  # lazy: parse_date serves the template parser, which must start fast

    out = np.empty(len(dates), dtype=np.float64)
    for i, text in enumerate(dates):
        d = parse_date(text)
        out[i] = d.year + (d.timetuple().tm_yday - 1) / 365.25 + float(seconds) / (365.25 * 86400.0)
    return out


def nearest_index(dates: Sequence[str], target: str, what: str = "date") -> int:
    """Index of the acquisition nearest to ``target`` (ties go to the earlier one)."""
    if not dates:
        raise InputError(f"{what}: the product has no acquisition dates")
    t = parse_date(target, what)
    gaps = [abs((parse_date(d) - t).days) for d in dates]
    return min(range(len(gaps)), key=gaps.__getitem__)

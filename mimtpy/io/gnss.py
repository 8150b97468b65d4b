"""GNSS station velocity tables.

All velocities are returned in m/yr (east, north, up; NaN where a table has no column).
Formats (``fmt`` = auto picks by content):

* ``globk``: GLOBK ``.vel``: ``Long Lat Evel Nvel dE+- dN+- E+- N+- Rne Hvel dH+- H+- Site`` in mm/yr;
  header lines start with ``*`` or hold no numbers.
* ``midas``: Nevada Geodetic Laboratory (UNR) MIDAS velocities (``midas.*.txt``): site, version,
  start, end, duration, epochs, good epochs, pairs, ve, vn, vu, se, sn, su (m/yr), …, lat, lon, height
  (lon in 0..360 is wrapped to -180..180).
* ``csv``: a header row naming the columns (``lon, lat, ve, vn, vu, se, sn, su, site``; any order,
  lon/lat required; common variants such as ``Longitude``, ``Ve``, ``vel_e``, ``E_vel``, ``sig_ve``, ``ve_err``,
  ``std_vn``, ``vup``, ``Station``, with units in brackets or a ``_mm/yr`` suffix, are understood) in mm/yr, or in
  m/yr when every velocity column header says ``(m/yr)``; comma or whitespace separated.
* ``psvelo``: GMT ``psvelo -Se`` tables without a header: ``lon lat ve vn se sn [corr] [site]`` in mm/yr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mimtpy.config import GNSS_FORMATS
from mimtpy.errors import ProductError

FORMATS = GNSS_FORMATS


@dataclass
class Stations:
    """Station positions (degrees) and velocities with their std (m/yr)."""

    site: list[str]
    lon: np.ndarray
    lat: np.ndarray
    ve: np.ndarray
    vn: np.ndarray
    vu: np.ndarray
    se: np.ndarray
    sn: np.ndarray
    su: np.ndarray

    def __len__(self) -> int:
        return len(self.site)

    def subset(self, keep: np.ndarray) -> Stations:
        return Stations([s for s, k in zip(self.site, keep, strict=True) if k],
                        *(getattr(self, f)[keep] for f in ("lon", "lat", "ve", "vn", "vu", "se", "sn", "su")))


def _numbers(line: str) -> list[float] | None:
    try:
        return [float(x) for x in line.split()]
    except ValueError:
        return None


def guess_format(path: Path, lines: list[str]) -> str:
    """'globk', 'midas' or 'csv' from the content of a table."""
    data = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith(("*", "#"))]
    if not data:
        raise ProductError(f"{path}: no station lines")
    numeric = [ln.split() for ln in data if _is_number(ln.split()[0])]
    if numeric and len(numeric[0]) >= 13 and not _is_number(numeric[0][12]):
        return "globk"
    first = data[0].split()
    if len(first) >= 25 and not _is_number(first[0]) and _is_number(first[8]):
        return "midas"
    header = set(_header(data[0]))
    if "lon" in header and "lat" in header:
        return "csv"
    if numeric and len(numeric) == len(data) and all(6 <= len(r) <= 8 for r in numeric) \
            and all(_is_number(x) for x in numeric[0][:6]):
        return "psvelo"
    raise ProductError(f"{path}: unknown GNSS table format; accepted: {', '.join(FORMATS)} "
                       "(GLOBK .vel, UNR MIDAS velocities, CSV with a header lon,lat,ve,vn[,vu,se,sn,su,site], "
                       "or GMT psvelo lines lon lat ve vn se sn [corr] [site])")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_stations(path: str | Path, fmt: str = "auto") -> Stations:
    """Read a GNSS velocity table; see the module docstring for the formats."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ProductError(f"{path}: cannot read GNSS table: {err}") from None
    fmt = guess_format(path, lines) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise ProductError(f"{path}: GNSS format '{fmt}' unknown; accepted: auto, {', '.join(FORMATS)}")
    rows = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith(("*", "#"))]
    try:
        stations = {"globk": _globk, "midas": _midas, "csv": _csv, "psvelo": _psvelo}[fmt](rows)
    except (ValueError, IndexError) as err:
        raise ProductError(f"{path}: not a valid {fmt} GNSS table: {err}") from None
    if len(stations) == 0:
        raise ProductError(f"{path}: no stations read as {fmt}")
    stations.lon = (stations.lon + 180.0) % 360.0 - 180.0
    return stations


def _globk(rows: list[str]) -> Stations:
    out = []
    for row in rows:
        parts = row.split()
        if len(parts) < 13 or not _is_number(parts[0]):
            continue
        v = [float(x) for x in parts[:12]]
        out.append((parts[12], v[0], v[1], v[2], v[3], v[9], v[6], v[7], v[11]))
    return _from_rows(out, scale=1e-3)


def _midas(rows: list[str]) -> Stations:
    out = []
    for row in rows:
        parts = row.split()
        if len(parts) < 27:
            continue
        v = [float(x) for x in parts[8:14]]
        lat, lon = float(parts[24]), float(parts[25])
        out.append((parts[0], lon, lat, v[0], v[1], v[2], v[3], v[4], v[5]))
    return _from_rows(out, scale=1.0)


def _column_name(text: str) -> str:
    """The canonical name (lon, lat, ve, vn, vu, se, sn, su, site) of a CSV header cell, else the cell lowered."""
    h = re.sub(r"[^a-z]", "", text.lower())
    h = re.sub(r"(mmyr|mmyear|mmpery|mmperyr|mmperyear)$", "", h) or h
    fixed = {"longitude": "lon", "long": "lon", "lng": "lon", "latitude": "lat", "name": "site", "station": "site",
             "stat": "site", "id": "site", "code": "site", "sitename": "site"}
    if h in fixed:
        return fixed[h]
    for c, word in (("e", "east"), ("n", "north"), ("u", "up")):
        words = (c, word, "h" if c == "u" else c, "vert" if c == "u" else c)
        for w in words:
            if h in (f"v{w}", f"vel{w}", f"{w}vel", f"{w}rate", f"rate{w}"):
                return f"v{c}"
            if h in (f"s{w}", f"sv{w}", f"sig{w}", f"sigv{w}", f"sigma{w}", f"sigmav{w}", f"std{w}", f"stdv{w}",
                     f"dv{w}", f"err{w}", f"errv{w}", f"v{w}sig", f"v{w}err", f"v{w}std", f"v{w}sigma", f"{w}sig",
                     f"{w}err", f"{w}std", f"{w}velsig", f"{w}velerr", f"sig{w}vel", f"v{w}error", f"{w}error"):
                return f"s{c}"
    return h


def _header(line: str) -> list[str]:
    """Column names of a header line (:func:`_column_name`, units in brackets dropped first)."""
    return [_column_name(re.sub(r"[(\[].*?[)\]]", "", w)) for w in _split(line, "," in line)]


def _split(text: str, comma: bool) -> list[str]:
    return [x.strip() for x in text.split(",")] if comma else text.split()


def _csv(rows: list[str]) -> Stations:
    comma = "," in rows[0]
    header = _header(rows[0])
    if "lon" not in header or "lat" not in header:
        raise ValueError("the header must name lon and lat")
    units = [w.lower() for w, h in zip(_split(rows[0], comma), header, strict=True) if h in ("ve", "vn", "vu")]
    metres = bool(units) and all(re.search(r"\bm/(yr|y|a|year)", u) for u in units)

    def split(text: str) -> list[str]:
        return _split(text, comma)
    out = []
    for row in rows[1:]:
        cells = dict(zip(header, split(row), strict=False))
        values = [float(cells[k]) if cells.get(k, "") != "" else np.nan
                  for k in ("lon", "lat", "ve", "vn", "vu", "se", "sn", "su")]
        out.append((cells.get("site", f"S{len(out):03d}"), *values))
    return _from_rows(out, scale=1.0 if metres else 1e-3)


def _psvelo(rows: list[str]) -> Stations:
    out = []
    for row in rows:
        parts = row.split()
        if len(parts) < 6 or not all(_is_number(x) for x in parts[:6]):
            continue
        v = [float(x) for x in parts[:6]]
        site = parts[-1] if len(parts) > 6 and not _is_number(parts[-1]) else f"S{len(out):03d}"
        out.append((site, v[0], v[1], v[2], v[3], np.nan, v[4], v[5], np.nan))
    return _from_rows(out, scale=1e-3)


def _from_rows(rows: list[tuple], scale: float) -> Stations:
    if not rows:
        return Stations([], *(np.zeros(0) for _ in range(8)))
    cols = list(zip(*rows, strict=True))
    values = [np.array(c, dtype=float) for c in cols[1:]]
    lon, lat = values[0], values[1]
    return Stations(list(cols[0]), lon, lat, *(v * scale for v in values[2:]))

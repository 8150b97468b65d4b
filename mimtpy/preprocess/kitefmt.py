"""Kite scenes (pyrocko/kite) written without Kite: ``NAME.npz`` + ``NAME.yml`` as ``Scene.save`` writes them.

* ``NAME.npz``: ``arr_0`` displacement (m; or m/yr for a velocity map, said in ``meta.extra``),
  ``arr_1`` theta, ``arr_2`` phi, float64, rows **south-up** (row 0 = southern edge).
* theta: elevation angle of the ground-to-satellite LOS above the horizon, radians
  (= 90 deg - incidence) = ``arcsin(up)``.
* phi: horizontal angle of the LOS towards the satellite, anticlockwise from east, radians
  (= MintPy azimuthAngle + 90 deg) = ``atan2(north, east)`` of the LOS unit vector.
* ``NAME.yml``: ``kite.scene.SceneConfig`` (guts YAML): ``frame`` with ``llLat``/``llLon`` = outer
  lower-left corner of the lower-left pixel (as Kite's own ROI_PAC importer), ``dE``/``dN`` pixel
  spacing, ``spacing: degree`` (lon/lat grids) or ``meter`` (projected grids; llLat/llLon then the
  corner converted to WGS84); ``meta`` with wavelength, dates (time_master/time_slave, UTC),
  satellite and orbit; ``quadtree`` with the parameters used, so Kite rebuilds the same leaves.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np

from mimtpy.io.atomic import atomic_output
from mimtpy.preprocess.source import ExportInput


def kite_angles(east: np.ndarray, north: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(theta, phi) in radians of a ground-to-satellite LOS unit vector (see the module docstring)."""
    theta = np.arcsin(np.clip(up, -1.0, 1.0))
    phi = np.arctan2(north, east)
    return theta, phi


def south_up(a: np.ndarray, y_step: float) -> np.ndarray:
    """``a`` (rows in the order of a grid with ``y_step``) with row 0 at the southern edge."""
    return np.ascontiguousarray(a[::-1] if y_step < 0 else a)


def frame_of(inp: ExportInput) -> dict:
    """Kite frame (llLat, llLon, dE, dN, spacing) of the input grid."""
    g = inp.grid
    s, _n, w, _e = g.snwe
    if g.epsg == 4326:
        return {"llLat": float(s), "llLon": float(w), "dN": abs(float(g.y_step)), "dE": abs(float(g.x_step)),
                "spacing": "degree"}
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(g.epsg, 4326, always_xy=True).transform(w, s)
    return {"llLat": float(lat), "llLon": float(lon), "dN": abs(float(g.y_step)), "dE": abs(float(g.x_step)),
            "spacing": "meter"}


def _timestamp(date: str | None) -> str | None:
    if not date:
        return None
    return dt.datetime.strptime(date, "%Y%m%d").strftime("%Y-%m-%d %H:%M:%S")


def _yaml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.floating, np.integer)):
        return repr(float(value)) if isinstance(value, (float, np.floating)) else str(int(value))
    return json.dumps(str(value))   # a double-quoted JSON string is a YAML string


def scene_yaml(meta: dict, frame: dict, quadtree: dict | None) -> str:
    """The text of a Kite ``SceneConfig`` YAML file (guts layout; sections Kite does not need are left
    to its defaults)."""
    lines = ["%YAML 1.1", "# kite.Scene YAML Config", "--- !kite.scene.SceneConfig", "meta: !kite.scene.Meta"]
    for key in ("scene_title", "scene_id", "satellite_name", "wavelength", "orbital_node", "time_master",
                "time_slave"):
        if meta.get(key) is not None:
            lines.append(f"  {key}: {_yaml_value(meta[key])}")
    extra = meta.get("extra") or {}
    if extra:
        lines.append("  extra:")
        lines += [f"    {k}: {_yaml_value(v)}" for k, v in extra.items()]
    else:
        lines.append("  extra: {}")
    lines.append("frame: !kite.scene.FrameConfig")
    lines += [f"  {k}: {_yaml_value(frame[k])}" for k in ("llLat", "llLon", "dN", "dE", "spacing")]
    lines.append("quadtree: !kite.quadtree.QuadtreeConfig")
    qt = {"correction": "median", "nan_allowed": 0.9, **(quadtree or {})}
    lines += [f"  {k}: {_yaml_value(qt[k])}" for k in ("correction", "epsilon", "nan_allowed", "tile_size_min",
                                                       "tile_size_max") if qt.get(k) is not None]
    return "\n".join(lines) + "\n"


def scene_meta(inp: ExportInput, name: str, wavelength: float | None) -> dict:
    a = inp.attrs
    node = {"ASCENDING": "Ascending", "DESCENDING": "Descending"}.get(str(a.get("ORBIT_DIRECTION", "")).upper(),
                                                                      "Undefined")
    try:
        lam = inp.wavelength(wavelength)
    except Exception:
        lam = None
    return {
        "scene_title": name, "scene_id": name,
        "satellite_name": str(a.get("MISSION") or a.get("PLATFORM") or "Undefined Mission"),
        "wavelength": lam, "orbital_node": node,
        "time_master": _timestamp(inp.dates[0]) if inp.dates else None,
        "time_slave": _timestamp(inp.dates[1]) if inp.dates else None,
        "extra": {"quantity": inp.quantity, "unit": inp.unit, "source": str(inp.path),
                  **({"start_date": inp.dates[0], "end_date": inp.dates[1]} if inp.dates else {})},
    }


def scene_arrays(inp: ExportInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(displacement, theta, phi) south-up, float64, as stored in the npz."""
    theta, phi = kite_angles(inp.east, inp.north, inp.up)
    ys = inp.grid.y_step
    return (south_up(inp.data.astype(np.float64), ys), south_up(theta.astype(np.float64), ys),
            south_up(phi.astype(np.float64), ys))


def write_kite_scene(inp: ExportInput, outdir: Path, name: str, *, wavelength: float | None = None,
                     quadtree: dict | None = None) -> list[Path]:
    """Write ``outdir/name.npz`` and ``outdir/name.yml`` atomically; returns both paths."""
    outdir = Path(outdir)
    disp, theta, phi = scene_arrays(inp)
    npz, yml = outdir / f"{name}.npz", outdir / f"{name}.yml"
    buf = io.BytesIO()
    np.savez(buf, disp, theta, phi)
    with atomic_output(npz) as tmp:
        tmp.write_bytes(buf.getvalue())
    with atomic_output(yml) as tmp:
        tmp.write_text(scene_yaml(scene_meta(inp, name, wavelength), frame_of(inp), quadtree))
    return [npz, yml]

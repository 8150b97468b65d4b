"""Quadtree leaves as a table: position, value, uncertainty, size and LOS unit vector of every leaf.

Columns (one row per leaf, in Kite's leaf order):

* ``lon``, ``lat``: focal point = mean of the pixel centres of the leaf's valid pixels (Kite's
  ``focal_point``), degrees WGS84;
* ``value``: mean of the valid pixels (m, or m/yr for a velocity map); ``median``: their median;
* ``std``: their standard deviation (ddof 0, Kite's node ``std``);
* ``npixels``: number of valid pixels (so ``sum(value * npixels) / sum(npixels)`` is the mean of
  the pixels kept); ``size_px``: side of the tile in pixels; ``llr``/``llc``: its lower-left pixel
  in the south-up scene (Kite's node ``llr``/``llc``);
* ``los_east``, ``los_north``, ``los_up``: median ground-to-satellite LOS unit vector over the valid
  pixels (Kite's ``unitE``/``unitN``/``unitU``); ``theta``, ``phi``: Kite's angles in radians.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from mimtpy.io.atomic import atomic_output
from mimtpy.preprocess.quadtree import Leaves

COLUMNS = ("lon", "lat", "value", "median", "std", "npixels", "size_px", "llr", "llc",
           "los_east", "los_north", "los_up", "theta", "phi")


def leaf_table(disp: np.ndarray, east: np.ndarray, north: np.ndarray, up: np.ndarray, leaves: Leaves,
               frame: dict, epsg: int = 4326) -> dict[str, np.ndarray]:
    """The table of the module docstring; every array is south-up like Kite's scene."""
    n = len(leaves)
    out = {c: np.full(n, np.nan) for c in COLUMNS}
    dE, dN = frame["dE"], frame["dN"]
    for k, (r, c, length) in enumerate(leaves.keys()):
        block = disp[r:r + length, c:c + length]
        ok = np.isfinite(block)
        rr, cc = np.nonzero(ok)
        vals = block[ok]
        out["npixels"][k], out["size_px"][k], out["llr"][k], out["llc"][k] = vals.size, length, r, c
        if vals.size == 0:
            continue
        out["value"][k], out["median"][k], out["std"][k] = vals.mean(), np.median(vals), vals.std()
        out["lon"][k] = np.mean((cc + c) * dE) + dE / 2
        out["lat"][k] = np.mean((rr + r) * dN) + dN / 2
        for name, comp in (("los_east", east), ("los_north", north), ("los_up", up)):
            out[name][k] = np.nanmedian(comp[r:r + length, c:c + length][ok])
    out["theta"] = np.arcsin(np.clip(out["los_up"], -1, 1))
    out["phi"] = np.arctan2(out["los_north"], out["los_east"])
    if frame["spacing"] == "degree":
        out["lon"] += frame["llLon"]
        out["lat"] += frame["llLat"]
    else:   # metres from the lower-left corner of a projected grid
        from pyproj import Transformer

        fwd = Transformer.from_crs(4326, epsg, always_xy=True)
        x0, y0 = fwd.transform(frame["llLon"], frame["llLat"])
        out["lon"], out["lat"] = Transformer.from_crs(epsg, 4326, always_xy=True).transform(
            x0 + out["lon"], y0 + out["lat"])
    for name in ("npixels", "size_px", "llr", "llc"):
        out[name] = out[name].astype(np.int64)
    return out


def write_leaves(table: dict[str, np.ndarray], outdir: Path, name: str, attrs: dict) -> list[Path]:
    """``outdir/name_quadtree.csv`` and ``.h5`` (one (n, 1) dataset per column, so that MintPy's readfile,
    which reads 2-D windows of LENGTH x WIDTH, reads them; ``attrs`` as root attributes)."""
    from mimtpy.io import write_h5

    csv_path, h5_path = outdir / f"{name}_quadtree.csv", outdir / f"{name}_quadtree.h5"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = len(table["lon"])
    for k in range(n):
        row = []
        for col in COLUMNS:
            v = table[col][k]
            row.append(str(int(v)) if table[col].dtype.kind == "i" else repr(float(v)))
        writer.writerow(row)
    with atomic_output(csv_path) as tmp:
        tmp.write_text(buf.getvalue())
    write_h5(h5_path, {c: np.asarray(table[c]).reshape(-1, 1) for c in COLUMNS},
             {**attrs, "FILE_TYPE": "quadtree", "LENGTH": str(n), "WIDTH": "1"})
    return [csv_path, h5_path]


def read_leaves_csv(path: Path) -> dict[str, np.ndarray]:
    """The table written by :func:`write_leaves` (for tests and the grid search)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {c: np.array([float(r[c]) for r in rows]) for c in (rows[0].keys() if rows else COLUMNS)}


def plot_leaves(disp: np.ndarray, table: dict[str, np.ndarray], frame: dict, path: Path, unit: str) -> Path:
    """Figure: the scene (left) and the leaves coloured by their value (right), south-up extents."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    dE, dN = frame["dE"], frame["dN"]
    x0, y0 = (frame["llLon"], frame["llLat"]) if frame["spacing"] == "degree" else (0.0, 0.0)
    rows, cols = disp.shape
    extent = (x0, x0 + cols * dE, y0, y0 + rows * dN)
    finite = disp[np.isfinite(disp)]
    vmax = float(np.percentile(np.abs(finite), 98)) if finite.size else 1.0
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharex=True, sharey=True)
    im = axes[0].imshow(disp, origin="lower", extent=extent, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    axes[0].set_title("scene")
    rects = [Rectangle((x0 + c * dE, y0 + r * dN), min(s, cols - c) * dE, min(s, rows - r) * dN)
             for r, c, s in zip(table["llr"], table["llc"], table["size_px"], strict=True)]
    coll = PatchCollection(rects, cmap="RdBu_r", edgecolor="k", linewidth=0.3)
    coll.set_array(np.asarray(table["value"]))
    coll.set_clim(-vmax, vmax)
    axes[1].add_collection(coll)
    axes[1].set_title(f"quadtree: {len(rects)} leaves")
    for ax in axes:
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_xlabel("longitude" if frame["spacing"] == "degree" else "east (m)")
    axes[0].set_ylabel("latitude" if frame["spacing"] == "degree" else "north (m)")
    fig.colorbar(im, ax=axes, label=f"LOS ({unit}, + toward satellite)", shrink=0.8)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    plt.close(fig)
    return path

"""What the GNSS tie of the ``horzvert`` step writes: ``tie.json`` (model, coefficients, std, stations and overlaps
per frame), ``gnss_tie.csv`` (one row per station) and ``gnss_tie.png``; and the decomposed east/up at the
stations, picked from the output blocks as they are written (:class:`StationProbe`). All values in m/yr.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np

from mimtpy.analysis.gnss_tie import TERMS, Tie
from mimtpy.core.grid import Grid
from mimtpy.io.atomic import atomic_output
from mimtpy.ops.gnss import station_window

logger = logging.getLogger(__name__)


class StationProbe:
    """A block writer that keeps the output pixels within ``radius_km`` of each station (at least the 3x3
    around it) and gives their medians: the decomposed components at the stations."""

    def __init__(self, grid: Grid, lon: np.ndarray, lat: np.ndarray, radius_km: float, names: tuple[str, ...]):
        self.names = names
        self.windows = [station_window(grid, float(la), float(lo), radius_km) for lo, la in zip(lon, lat, strict=True)]
        self.values: list[dict[str, list[np.ndarray]]] = [{n: [] for n in names} for _ in self.windows]

    def write(self, rows: slice, arrays: dict) -> None:
        for win, store in zip(self.windows, self.values, strict=True):
            if win is None:
                continue
            wr, wc, inside = win
            r0, r1 = max(rows.start, wr.start), min(rows.stop, wr.stop)
            if r1 <= r0:
                continue
            mask = inside[r0 - wr.start:r1 - wr.start]
            for name in self.names:
                block = arrays[name][r0 - rows.start:r1 - rows.start, wc]
                store[name].append(block[mask])

    def medians(self, name: str) -> np.ndarray:
        out = np.full(len(self.windows), np.nan)
        for k, store in enumerate(self.values):
            if store[name]:
                v = np.concatenate(store[name])
                if np.isfinite(v).any():
                    out[k] = float(np.nanmedian(v))
        return out


def _field_json(field) -> dict | None:
    """The residual field of a frame (collocation of what its polynomial leaves at the stations), or None."""
    if field is None:
        return None
    return {"length_km": field.length_km, "signal_std": float(np.sqrt(field.variance)),
            "stations": int(field.weights.size), "rms_without": field.rms, "loo_rms_with": field.loo_rms}


def write_json(tie: Tie, path: Path, gnss: Path) -> Path:
    """``tie.json``: per frame the model, its terms, coefficients and std (m/yr, x/y km from the frame centre),
    the stations used and rejected, the cross-validation errors; per overlap the differences before/after."""
    frames = []
    for k, frame in enumerate(tie.frames):
        mine = [o for o in tie.observations if o.frame == k]
        frames.append({
            "name": frame.name, "look": frame.look, "model": tie.models[k], "terms": list(TERMS[tie.models[k]]),
            "centre_lon": frame.centre[0], "centre_lat": frame.centre[1],
            "coefficients": [float(v) for v in tie.params[k]],
            "std": [float(v) for v in np.sqrt(np.diag(tie.covs[k]))],
            "stations_used": [tie.stations.site[o.station] for o in mine if o.status == "used"],
            "stations_rejected": [tie.stations.site[o.station] for o in mine if o.status == "outlier"],
            "stations_without_data": [tie.stations.site[o.station] for o in mine if o.status == "no data"],
            "cross_validation_rms": tie.cv[k] if k < len(tie.cv) else {},
            "residual_field": _field_json(tie.fields[k] if tie.fields else None),
        })
    links = [{"frames": [tie.frames[lk.i].name, tie.frames[lk.j].name], "pixels": lk.pixels, "cells": int(lk.y.size),
              "median_difference_before": lk.median_before, "median_misfit_after": lk.median_after,
              "rms_misfit_after": lk.rms_after, "cell_std": lk.sigma} for lk in tie.links]
    doc = {"gnss": str(gnss), "unit": "m/year", "convention": "tied LOS = LOS + correction; LOS positive toward the "
           "satellite; x, y = east, north km from the frame centre", "reduced_chi2": tie.chi2,
           "frames": frames, "overlaps": links}
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=2, default=float))
    return path


def write_csv(tie: Tie, path: Path, east: np.ndarray, up: np.ndarray) -> Path:
    """``gnss_tie.csv``: one row per station inside a frame: GNSS E/N/U, per frame its LOS, the InSAR before and
    after the tie and the status, then the decomposed east/up at the station and the residuals (decomposed -
    GNSS; up residual empty when the table has no vertical)."""
    st = tie.stations
    sites = sorted({o.station for o in tie.observations})
    header = ["site", "lon", "lat", "gnss_east", "gnss_north", "gnss_up"]
    for f in tie.frames:
        header += [f"{f.name}_gnss_los", f"{f.name}_insar_before", f"{f.name}_insar_after", f"{f.name}_status"]
    header += ["east", "up", "east_residual", "up_residual"]
    by = {(o.frame, o.station): o for o in tie.observations}
    with atomic_output(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for n, s in enumerate(sites):
            row = [st.site[s], f"{st.lon[s]:.6f}", f"{st.lat[s]:.6f}", _g(st.ve[s]), _g(st.vn[s]), _g(st.vu[s])]
            for k in range(len(tie.frames)):
                o = by.get((k, s))
                if o is None:
                    row += ["", "", "", "outside"]
                    continue
                after = o.insar + tie.correction(k, st.lon[s], st.lat[s])[0][0]
                row += [_g(o.los), _g(o.insar), _g(after), o.status]
            row += [_g(east[n]), _g(up[n]), _g(east[n] - st.ve[s]), _g(up[n] - st.vu[s])]
            writer.writerow(row)
    return path


def station_order(tie: Tie) -> list[int]:
    """Indices (into the GNSS table) of the stations of the CSV, in its order."""
    return sorted({o.station for o in tie.observations})


def _g(value: float) -> str:
    return f"{value:.6g}" if np.isfinite(value) else ""


def plot(tie: Tie, path: Path, east: np.ndarray, up: np.ndarray) -> Path:
    """``gnss_tie.png``: GNSS in each frame's LOS against InSAR before (open) and after (filled) the tie, and
    the east/up residuals (decomposed - GNSS) at the stations, in mm/yr."""
    import matplotlib.pyplot as plt

    from mimtpy.viz import maps as _maps  # noqa: F401  (selects the Agg backend)

    n = len(tie.frames)
    fig, axes = plt.subplots(1, n + 1, figsize=(3.2 * (n + 1), 3.4), squeeze=False)
    st = tie.stations
    for k, (frame, ax) in enumerate(zip(tie.frames, axes[0][:n], strict=True)):
        mine = [o for o in tie.observations if o.frame == k and o.status != "no data"]
        g = 1e3 * np.array([o.los for o in mine])
        before = 1e3 * np.array([o.insar for o in mine])
        after = before + 1e3 * np.array([tie.correction(k, st.lon[o.station], st.lat[o.station])[0][0] for o in mine])
        used = np.array([o.status == "used" for o in mine], bool)
        if g.size:
            ax.scatter(g, before, facecolors="none", edgecolors="0.5", s=18, label="before")
            ax.scatter(g[used], after[used], c="C0", s=18, label="after")
            ax.scatter(g[~used], after[~used], c="C3", marker="x", s=24, label="rejected")
            lo, hi = np.nanmin(np.r_[g, before, after]), np.nanmax(np.r_[g, before, after])
            ax.plot([lo, hi], [lo, hi], "k-", lw=0.6)
        ax.set_title(f"{frame.name}\n{tie.models[k]}", fontsize=8)
        ax.set_xlabel("GNSS in LOS (mm/yr)", fontsize=8)
        ax.set_ylabel("InSAR LOS (mm/yr)", fontsize=8)
        ax.tick_params(labelsize=7)
        if k == 0:
            ax.legend(fontsize=6)
    ax = axes[0][n]
    order = station_order(tie)
    de, du = 1e3 * (east - st.ve[order]), 1e3 * (up - st.vu[order])
    x = np.arange(len(order))
    ax.axhline(0, color="k", lw=0.6)
    ax.plot(x, de, "o", ms=4, label="east")
    ax.plot(x, du, "s", ms=4, mfc="none", label="up")
    ax.set_xticks(x, [st.site[s] for s in order], rotation=90, fontsize=6)
    ax.set_ylabel("decomposed - GNSS (mm/yr)", fontsize=8)
    ax.set_title("residuals at the stations", fontsize=8)
    ax.legend(fontsize=6)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path

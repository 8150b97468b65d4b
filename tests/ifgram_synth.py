"""Synthetic interferogram networks with a known truth, for the inversion tests and benchmark.

``write_mintpy_stack`` writes the stack with MintPy's own writer (``mintpy.utils.writefile``), so that
MintPy 1.6.4 ``ifgram_inversion.py`` reads exactly what it would read from its own workflow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WAVELENGTH = 0.05546576


def network_dates(num_date: int, interval: int = 12, start: str = "2018-01-01") -> list[str]:
    return [str(np.datetime64(start) + np.timedelta64(interval * k, "D")).replace("-", "") for k in range(num_date)]


def nearest_pairs(num_date: int, neighbours: int = 3) -> list[tuple[int, int]]:
    """Every date joined to its ``neighbours`` next dates (80 dates, 3 -> 234 interferograms)."""
    return [(i, j) for i in range(num_date) for j in range(i + 1, min(num_date, i + 1 + neighbours))]


def synthetic_stack(length: int, width: int, num_date: int, neighbours: int = 3, gap: float = 0.1,
                    noise: float = 0.2, seed: int = 0, ref: tuple[int, int] = (5, 5)) -> dict:
    """Phase (ifgram, length, width) in rad from a known displacement (metres, LOS toward the satellite):
    a linear rate field plus a random walk per date, relative to the reference pixel ``ref``; white phase
    noise and an arbitrary offset per interferogram (not referenced, as MintPy stores it); ``gap`` of the
    values set to 0 (no-data) except at the reference pixel; coherence in 0.2..0.95."""
    rng = np.random.default_rng(seed)
    dates = network_dates(num_date)
    pairs = nearest_pairs(num_date, neighbours)
    t = np.arange(num_date) * 12 / 365.25
    rate = np.linspace(-0.05, 0.02, width)[None, :] * np.ones((length, 1))
    disp = rate[None] * t[:, None, None] + np.cumsum(rng.normal(0, 0.002, (num_date, length, width)), axis=0)
    disp -= disp[:, ref[0]:ref[0] + 1, ref[1]:ref[1] + 1]
    disp -= disp[0]
    phase_of = -4 * np.pi / WAVELENGTH
    ii = np.array([p[0] for p in pairs])
    jj = np.array([p[1] for p in pairs])
    phase = (phase_of * (disp[jj] - disp[ii]) + rng.normal(0, noise, (len(pairs), length, width))).astype(np.float32)
    phase += rng.uniform(-3, 3, (len(pairs), 1, 1)).astype(np.float32)   # unreferenced, as stored by MintPy
    gaps = rng.random(phase.shape) < gap
    gaps[:, ref[0], ref[1]] = False
    phase[gaps] = 0
    coh = rng.uniform(0.2, 0.95, phase.shape).astype(np.float32)
    return {"dates": dates, "pairs": pairs, "phase": phase, "coherence": coh, "truth": disp, "gaps": gaps,
            "ref": ref}


def write_mintpy_stack(path: Path, data: dict, attrs: dict | None = None) -> Path:
    """Write ``data`` (from :func:`synthetic_stack`) as a MintPy ``ifgramStack.h5`` with MintPy's writer."""
    from mintpy.utils import writefile

    phase = data["phase"]
    m, length, width = phase.shape
    dates, pairs = data["dates"], data["pairs"]
    date12 = np.array([[dates[i], dates[j]] for i, j in pairs], dtype=np.bytes_)
    meta = {"FILE_TYPE": "ifgramStack", "LENGTH": str(length), "WIDTH": str(width), "X_FIRST": "130.0",
            "Y_FIRST": "33.0", "X_STEP": "0.001", "Y_STEP": "-0.001", "X_UNIT": "degrees", "Y_UNIT": "degrees",
            "WAVELENGTH": str(WAVELENGTH), "ALOOKS": "3", "RLOOKS": "9", "PLATFORM": "Sen", "PROCESSOR": "isce",
            "REF_Y": str(data["ref"][0]), "REF_X": str(data["ref"][1]), "UNIT": "radian"}
    meta.update(attrs or {})
    conn = np.where(data["gaps"], 0, 1).astype(np.int16)
    ds = {"date": date12, "bperp": np.linspace(-50, 50, m).astype(np.float32),
          "dropIfgram": np.ones(m, dtype=np.bool_), "unwrapPhase": phase, "coherence": data["coherence"],
          "connectComponent": conn}
    writefile.write(ds, out_file=str(path), metadata=meta)
    return Path(path)

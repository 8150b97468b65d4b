"""Fingerprints of every numeric output of a run, to pin that refactorings change no number.

``fingerprint(folder)`` maps each ``.h5``/``.he5``/``.tif`` dataset under ``folder`` to its shape,
number of NaNs and sums; two runs agree when every fingerprint matches to ~1e-6 (the sums tolerate
the last-bit differences of another NumPy/FFT build, nothing more). ``python tests/regression.py
OUT.json FOLDER`` writes them (how ``tests/data/regression/demo_small.json`` was made, with the
code before the step-registry refactoring).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np

TEMPLATE = """\
mimtpy.compute.maxMemory      = 0.01
mimtpy.synthetic              = yes
mimtpy.synthetic.tracks       = asc, desc, asc:0.7
mimtpy.synthetic.SNWE         = 34.0 34.3 -118.3 -118.0
mimtpy.synthetic.pixelSize    = 0.004
mimtpy.synthetic.endDate      = 20180901
mimtpy.synthetic.fault        = 34.15 -118.15 120 0.03 8
mimtpy.synthetic.orbitRamp    = linear
mimtpy.synthetic.rampAmplitude = 0.003
mimtpy.velcumu                = yes
mimtpy.velcumu.DataSet        = synthetic/SynthSenAT100, synthetic/SynthSenDT151, synthetic/SynthSenAT102
mimtpy.velcumu.type           = velocity, displacement
mimtpy.velcumu.mask           = yes
mimtpy.horzvert               = yes
mimtpy.horzvert.DataSet       = synthetic/SynthSenAT100, synthetic/SynthSenDT151
mimtpy.concatenation          = yes
mimtpy.concatenation.DataSet  = synthetic/SynthSenAT100/mintpy/velocity/velocity_20170103_20180826.h5, \
    synthetic/SynthSenAT102/mintpy/velocity/velocity_20170103_20180826.h5
mimtpy.concatenation.offsetModel = ramp
mimtpy.concatenation.blend    = feather
mimtpy.concatenation.plotpair = no
mimtpy.transects              = yes
mimtpy.transects.DataSet      = horzvert/hz.h5, horzvert/up.h5
mimtpy.transects.fault        = synthetic/fault_trace.gmt
mimtpy.transects.number       = 2
mimtpy.transects.length       = 8
"""


def _stats(data: np.ndarray) -> list:
    data = np.asarray(data)
    if data.dtype.kind in "SUO":
        return [list(data.shape), str(data.tobytes()[:200])]
    x = data.astype(np.float64)
    finite = np.isfinite(x)
    v = x[finite]
    return [list(x.shape), int((~finite).sum()), float(v.sum()), float((v * v).sum()), float(np.abs(v).sum())]


def fingerprint(folder: Path) -> dict[str, list]:
    out: dict[str, list] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.suffix in (".h5", ".he5"):
            with h5py.File(path, "r") as f:
                f.visititems(lambda name, obj, rel=rel: out.__setitem__(f"{rel}:{name}", _stats(obj[()]))
                             if isinstance(obj, h5py.Dataset) else None)
        elif path.suffix == ".tif":
            import rasterio
            with rasterio.open(path) as src:
                out[rel] = _stats(src.read(1))
    return out


def same(a: list, b: list, rtol: float = 1e-6) -> bool:
    if a[0] != b[0] or len(a) != len(b):
        return False
    if len(a) == 2:
        return a[1] == b[1]
    return a[1] == b[1] and all(np.isclose(x, y, rtol=rtol, atol=1e-9) for x, y in zip(a[2:], b[2:], strict=True))


if __name__ == "__main__":
    json.dump(fingerprint(Path(sys.argv[2])), open(sys.argv[1], "w"), indent=0, sort_keys=True)

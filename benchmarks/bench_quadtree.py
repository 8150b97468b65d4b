"""Quadtree: mimtpy's compiled build vs its recursive NumPy reference (a transcription of Kite), and
optionally Kite itself, on the same scene with the same parameters.

Makes a SIZE x SIZE south-up scene (default 1024 x 1024) with a Gaussian bump, noise and NaN holes, runs
each implementation in a child process, and reports wall time, peak memory (max RSS of the child), the
number of leaves and whether the leaves are identical. Kite pins numpy<2, so it runs from another Python
(``--kite-python /tmp/kite-env/bin/python``; a venv with ``pip install "numpy<2" pyrocko kite``).

    python benchmarks/bench_quadtree.py [--size 1024] [--epsilon 0.002] [--kite-python PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _measure import measure, save_result

MIMTPY = """
import json, sys, numpy as np
from mimtpy.preprocess.quadtree import build_quadtree, build_quadtree_reference
data = np.load(sys.argv[1]); kw = json.loads(sys.argv[2])
fn = build_quadtree if sys.argv[3] == "compiled" else build_quadtree_reference
leaves = fn(data, kw.pop("dE"), kw.pop("dN"), **kw)
json.dump([list(k) for k in leaves.keys()], open(sys.argv[4], "w"))
"""
KITE = """
import json, sys, numpy as np
from kite import Scene
from kite.scene import SceneConfig, FrameConfig
from kite.quadtree import QuadtreeConfig
data = np.load(sys.argv[1]); kw = json.loads(sys.argv[2])
d = kw.pop("dE"); kw.pop("dN")
cfg = SceneConfig(frame=FrameConfig(llLat=0.0, llLon=0.0, dE=d, dN=d, spacing="degree"), quadtree=QuadtreeConfig(**kw))
sc = Scene(displacement=data, theta=np.full(data.shape, 0.8), phi=np.full(data.shape, 0.3), config=cfg)
json.dump([[int(l.llr), int(l.llc), int(l.length)] for l in sc.quadtree.leaves], open(sys.argv[4], "w"))
"""


def make_scene(size: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size] / size
    data = 0.05 * np.exp(-((x - 0.4) ** 2 + (y - 0.6) ** 2) / 0.01) + rng.normal(0, 0.001, x.shape)
    data[int(0.1 * size):int(0.2 * size), int(0.7 * size):int(0.9 * size)] = np.nan
    data[rng.random(data.shape) < 0.02] = np.nan
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--epsilon", type=float, default=0.002)
    parser.add_argument("--kite-python", default=None)
    parser.add_argument("--skip-reference", action="store_true", help="skip the (slow) NumPy reference")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_quadtree_"))
    scene = work / "scene.npy"
    np.save(scene, make_scene(args.size))
    d = 1.0 / args.size
    params = json.dumps({"dE": d, "dN": d, "epsilon": args.epsilon, "correction": "median", "nan_allowed": 0.9,
                         "tile_size_min": 4 * d, "tile_size_max": 128 * d})
    runs = [("compiled", [sys.executable, "-c", MIMTPY])]
    if not args.skip_reference:
        runs.append(("numpy_reference", [sys.executable, "-c", MIMTPY]))
    if args.kite_python:
        runs.append(("kite", [args.kite_python, "-c", KITE]))
    result: dict = {"size": args.size, "params": json.loads(params)}
    leaves = {}
    for name, cmd in runs:
        out = work / f"{name}.json"
        result[name] = measure([*cmd, str(scene), params, name.split("_")[0], str(out)], cwd=work)
        leaves[name] = json.loads(out.read_text())
        result[name]["leaves"] = len(leaves[name])
    for name in leaves:
        if name != "compiled":
            result[f"{name}_identical_leaves"] = leaves[name] == leaves["compiled"]
            result[f"{name}_over_compiled_time"] = result[name]["seconds"] / result["compiled"]["seconds"]
    save_result("quadtree", result)


if __name__ == "__main__":
    main()

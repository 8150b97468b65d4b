"""The Python API mirrors the template: same keys, same validation, same results; blocks on threads
or Dask give the results of one thread."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import mimtpy
from mimtpy import TemplateError
from mimtpy.io import open_product

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_the_documented_example_runs_every_step(tmp_path, monkeypatch):
    code = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)[-1]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    assert all(p.exists() for p in namespace["velocities"] + namespace["maps"] + namespace["profiles"])
    hz = open_product(namespace["hz"]).read("velocity")
    truth = open_product(Path(namespace["asc"]).parent / "truth.h5").read("east")
    ok = np.isfinite(hz)
    # east velocity of the fault recovered (the tracks' reference pixel moves, so compare gradients)
    assert np.corrcoef(hz[ok], truth[ok])[0, 1] > 0.95
    assert [p.suffix for p in namespace["mosaic"]][:2] == [".h5", ".csv"]


def test_keys_are_checked_like_template_keys(clean_track, tmp_path):
    with pytest.raises(TemplateError) as err:
        mimtpy.run("velcumu", Dataste=[str(clean_track)], type="speed", minEpochs=1, outdir=tmp_path)
    text = str(err.value)
    assert "mimtpy.run('velcumu'): Dataste: unknown key" in text and "did you mean 'DataSet'?" in text
    assert "type: 'speed' not allowed; choose from: velocity, displacement" in text
    assert "minEpochs: 1 is outside the allowed range" in text
    with pytest.raises(TemplateError, match=r"mimtpy.run\('velcumu'\): DataSet: DataSet 'nowhere'"):
        mimtpy.run("velcumu", DATASET="nowhere", outdir=tmp_path)
    with pytest.raises(TemplateError, match=r"unknown step 'velcum'.*did you mean 'velcumu'"):
        mimtpy.run("velcum")


def test_config_models_have_real_defaults():
    from mimtpy.basic.velcumu import VelcumuConfig
    cfg = VelcumuConfig()
    assert cfg.type == ("velocity",) and cfg.min_epochs == 3 and cfg.geotiff is True and cfg.mask is False


def _velocity(path: Path) -> dict[str, np.ndarray]:
    product = open_product(path)
    return {name: product.read(name) for name in ("velocity", "velocityStd", "numEpochs")}


@pytest.mark.parametrize("compute", [{"numWorker": 2}, {"cluster": "local", "numWorker": 2}],
                         ids=["threads", "dask-local"])
def test_blocks_on_threads_or_dask_equal_one_thread(noisy_pair, tmp_path, compute):
    serial = mimtpy.run("velcumu", DataSet=[noisy_pair[0]], outdir=tmp_path / "serial", geotiff=False,
                        compute={"maxMemory": 0.0005, "numWorker": 1})
    other = mimtpy.run("velcumu", DataSet=[noisy_pair[0]], outdir=tmp_path / "other", geotiff=False,
                       compute={"maxMemory": 0.0005, **compute})
    a, b = _velocity(serial[0]), _velocity(other[0])
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert np.isfinite(a["velocity"]).mean() > 0.5


def test_horzvert_and_concatenation_on_dask_equal_one_thread(noisy_pair, tmp_path):
    from .conftest import make_products
    ascending = make_products(tmp_path / "asc", tracks="asc, asc:0.5", noise="0.002", atmosphere="0.002")
    outputs = {}
    for label, compute in (("serial", {"maxMemory": 0.0003, "numWorker": 1}),
                           ("dask", {"maxMemory": 0.0003, "numWorker": 2, "cluster": "local"})):
        hv = mimtpy.run("horzvert", DataSet=list(noisy_pair), outdir=tmp_path / label / "hv", compute=compute)
        mos = mimtpy.run("concatenation", DataSet=ascending, outdir=tmp_path / label / "mos", plotpair=False,
                         offsetModel="ramp", blend="feather", compute=compute)
        outputs[label] = [p for p in hv + mos if p.suffix == ".h5"]
    for a, b in zip(outputs["serial"], outputs["dask"], strict=True):
        pa, pb = open_product(a), open_product(b)
        for name in pa.datasets:
            np.testing.assert_array_equal(pa.read(name), pb.read(name))

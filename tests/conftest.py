"""Shared fixtures: small synthetic products with a known truth, and the real Kirishima files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mimtpy.app import parse_template
from mimtpy.context import RunContext
from mimtpy.tools import synthetic

DATA = Path(__file__).parent / "data"
KIRISHIMA = DATA / "kirishima_mintpy_alos2"

SMALL = {
    "SNWE": "34.0 34.3 -118.3 -118.0",
    "pixelSize": "0.003",
    "startDate": "20170103",
    "endDate": "20181230",
}


def synthetic_config(folder: Path, **keys: str):
    """A SyntheticConfig from template keys (small scene unless overridden)."""
    text = "\n".join(f"mimtpy.synthetic.{k} = {v}" for k, v in {**SMALL, **keys}.items())
    return parse_template(text, folder / "synthetic.template").configs["synthetic"]


def make_products(folder: Path, **keys: str) -> list[Path]:
    """Write synthetic products under ``folder`` and return their paths (one per track)."""
    cfg = synthetic_config(folder, **keys)
    return synthetic.run(cfg, RunContext(folder))


@pytest.fixture(scope="session")
def noisy_pair(tmp_path_factory) -> list[Path]:
    """Ascending + descending tracks with atmosphere, noise, holes and a fault (no ramps, no seasonal)."""
    folder = tmp_path_factory.mktemp("noisy")
    return make_products(folder, tracks="asc, desc", fault="34.2 -118.15 120 0.02 8", noise="0.003",
                         atmosphere="0.004", holes="0.03")


@pytest.fixture(scope="session")
def clean_track(tmp_path_factory) -> Path:
    """One ascending track without noise, atmosphere or holes: the fit must return the truth exactly."""
    folder = tmp_path_factory.mktemp("clean")
    return make_products(folder, tracks="asc", noise="0", atmosphere="0", holes="0")[0]


@pytest.fixture(scope="session")
def written(noisy_pair, tmp_path_factory) -> dict[str, Path]:
    """One small project through every step that writes files ({label: file}; tests/outputs_project.py)."""
    from tests.outputs_project import build

    return build(noisy_pair, tmp_path_factory.mktemp("written"))


@pytest.fixture(scope="session", autouse=True)
def _close_dask_clusters():
    """Dask clusters started by tests close while pytest still captures output (not at interpreter exit)."""
    yield
    from mimtpy.core import blocks
    blocks._close_clients()

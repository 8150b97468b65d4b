"""Every GeoTIFF mimtpy writes says what its band holds and in which unit; vector layers are named after the
product, never after a temporary file (issue 8, item 9).

Truth: the dataset and unit each step writes (velocity in m/year, angles in degrees, strain in 1/year, ...),
read back with rasterio (GDAL band description, unit type, ``units`` band tag) and, when installed, gdalinfo.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio

from mimtpy.io import open_product
from tests.outputs_project import PYRATE_UNW


def _tif(written: dict[str, Path], label: str) -> Path:
    """The GeoTIFF of a label: the file itself, the .tif beside an .h5, or (velcumu geometry <dataset>) the
    per-dataset GeoTIFF beside geometry.h5."""
    if label.startswith("velcumu geometry "):
        return written["velcumu geometry"].parent / f"{label.split()[-1]}.tif"
    return written[label].with_suffix(".tif")


#: GeoTIFF (label in the project, or "<h5 label> <dataset>" for the per-dataset files) -> description, unit
EXPECTED = {
    "velcumu velocity": ("velocity", "m/year"),
    "velcumu displacement": ("displacement", "m"),
    "velcumu geometry incidenceAngle": ("incidenceAngle", "degrees"),
    "velcumu geometry height": ("height", "meters"),
    "velcumu mask": ("mask", "1"),
    "horzvert hz": ("hz", "m/year"),
    "horzvert up": ("up", "m/year"),
    "concatenation velocity": ("velocity", "m/year"),
    "subtract": ("velocity residual", "m/year"),
    "strain e1": ("e1", "1/year"),
    "strain rotation": ("rotation", "radian/year"),
    "synthetic wrapped": ("wrapped_phase", "radian"),
    "H5UNW mm": ("displacement", "mm"),
}


@pytest.mark.parametrize("label", list(EXPECTED))
def test_every_geotiff_band_has_a_description_and_a_unit(written, label):
    tif = _tif(written, label)
    description, unit = EXPECTED[label]
    with rasterio.open(tif) as src:
        assert src.descriptions == (description,), tif
        assert src.units == (unit,), tif
        assert src.tags(1)["units"] == unit
        assert src.tags()["UNIT"] == unit          # the file-level tag never contradicts the band
        assert src.crs is not None and np.isnan(src.nodata)
    if shutil.which("gdalinfo"):
        info = subprocess.run(["gdalinfo", str(tif)], capture_output=True, text=True, check=True).stdout
        assert f"Description = {description}" in info and f"Unit Type: {unit}" in info


def test_h5unw_to_geotiff_writes_one_consistent_set_of_attributes(written):
    """PyRate's DATA_UNITS=RADIANS and its DATA_TYPE (a kind) no longer sit beside UNIT=mm; FILE_TYPE says what
    the values are; the values are the phase converted to mm (d = -lambda / (4 pi) * phase)."""
    src = open_product(PYRATE_UNW)
    assert src.attrs["DATA_UNITS"] == "RADIANS"
    with rasterio.open(written["H5UNW mm"]) as out:
        tags = out.tags()
        values = out.read(1)
    assert tags["UNIT"] == "mm" and tags["FILE_TYPE"] == "displacement" and tags["DATA_TYPE"] == "float32"
    assert "DATA_UNITS" not in tags and "WAVELENGTH_METRES" not in tags
    wavelength = float(src.attrs["WAVELENGTH_METRES"])
    assert float(tags["WAVELENGTH"]) == wavelength
    np.testing.assert_allclose(values, -wavelength / (4 * np.pi) * src.read("data") * 1000, rtol=1e-6)


@pytest.mark.parametrize("suffix", [".geojson", ".kml"])
def test_vector_layers_are_named_after_the_track(written, suffix):
    import pyogrio

    path = written[f"footprint {suffix}"]
    text = path.read_text()
    assert ".part" not in text and f".{path.name}." not in text          # no trace of the temporary name
    track = open_product(written["tracks"][0])
    expected = f"{track.attrs['PLATFORM']}AT{int(float(track.attrs['relative_orbit']))}"   # SenAT64
    assert [name for name, _ in pyogrio.list_layers(path)] == [expected]
    if suffix == ".geojson":
        doc = json.loads(text)
        assert doc["name"] == expected and doc["features"][0]["properties"]["name"] == expected

"""Maps: axes, colorbar, faults, GNSS (arrows and LOS), relief, KMZ, backends — checked on the figure objects."""

from __future__ import annotations

import zipfile
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pytest

from mimtpy.app import parse_template
from mimtpy.basic import products
from mimtpy.cli import plot_geotiff
from mimtpy.context import RunContext
from mimtpy.core.geometry import enu_to_los
from mimtpy.core.grid import Grid
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product, write_h5
from mimtpy.io.gnss import read_stations
from mimtpy.ops import gnss
from mimtpy.viz import maps, render


def plot_cfg(folder: Path, **keys: str):
    text = "\n".join(f"mimtpy.plot.{k} = {v}" for k, v in keys.items())
    return parse_template(text, folder / "p.template").configs["plot"]


@pytest.fixture(scope="module")
def clean_velocity(clean_track, tmp_path_factory):
    out = tmp_path_factory.mktemp("vel")
    cfg = parse_template(f"mimtpy.velcumu.outdir = {out}", out / "v.template").configs["velcumu"]
    return products.process(clean_track, "velocity", cfg, RunContext(out), out)[0]


def fault_file(folder: Path) -> Path:
    """Two faults crossing the synthetic scene and one far outside it."""
    path = folder / "faults.gmt"
    path.write_text("> A\n-118.35 34.1\n-117.95 34.2\n> B\n-118.2 33.9\n-118.1 34.4\n> far away\n10 10\n11 11\n")
    return path


def stations_from_truth(folder: Path, clean_track: Path) -> Path:
    """A CSV of GNSS stations whose velocities are the synthetic truth at their pixels (mm/yr)."""
    truth = open_product(clean_track.parent / "truth.h5")
    g = truth.grid
    rows, cols = [20, 50, 80, 35, 70], [25, 60, 30, 80, 75]
    lines = ["site,lon,lat,ve,vn,vu"]
    for k, (r, c) in enumerate(zip(rows, cols, strict=True)):
        lat, lon = g.rowcol_to_lalo(r, c)
        e, n, u = (truth.read(x)[r, c] * 1e3 for x in ("east", "north", "up"))
        lines.append(f"S{k:03d},{lon:.7f},{lat:.7f},{e:.6f},{n:.6f},{u:.6f}")
    path = folder / "gnss.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_map_axes_colorbar_title_reference_scalebar_and_faults(clean_velocity, tmp_path):
    product = open_product(clean_velocity)
    fig, ax, _data = maps.make_figure(product, plot_cfg(tmp_path, fault=str(fault_file(tmp_path)), fcolor="red",
                                                       fstyle="dashed"))
    s, n, w, e = product.grid.snwe
    assert ax.get_xlim() == pytest.approx((w, e)) and ax.get_ylim() == pytest.approx((s, n))
    assert fig.axes[1].get_ylabel() == "mm/yr"
    assert "velocity" in ax.get_title() and product.attrs["START_DATE"] in ax.get_title() and "asc" in ax.get_title()
    faults = [ln for ln in ax.get_lines() if ln.get_gid() == "fault"]
    assert len(faults) == 2                                  # the far one is clipped away
    assert all(ln.get_linestyle() == "--" and mcolors.same_color(ln.get_color(), "red") for ln in faults)
    for ln in faults:
        x, y = ln.get_data()
        assert x.min() >= w - 1e-9 and x.max() <= e + 1e-9 and y.min() >= s - 1e-9 and y.max() <= n + 1e-9
    assert [ln.get_gid() for ln in ax.get_lines()].count("reference") == 1
    assert [ln.get_gid() for ln in ax.get_lines()].count("scalebar") == 1
    image = ax.get_images()[0]
    assert image.norm.vmin == -image.norm.vmax                # symmetric diverging scale


def test_vlim_nonlinear_and_shaded_relief(clean_velocity, clean_track, tmp_path):
    product = open_product(clean_velocity)
    _fig, ax, _d = maps.make_figure(product, plot_cfg(tmp_path, vlim="-5 8", nonlinear="yes", dem=str(clean_track)))
    images = ax.get_images()
    assert len(images) == 2                                   # relief under the data
    assert isinstance(images[1].norm, mcolors.SymLogNorm)
    assert (images[1].norm.vmin, images[1].norm.vmax) == (-5, 8)
    with pytest.raises(InputError, match="shade = yes but the product has no height"):
        maps.make_figure(product, plot_cfg(tmp_path, shade="yes"))


def test_gnss_projected_into_los_equals_the_synthetic_los(clean_velocity, clean_track, tmp_path):
    product = open_product(clean_velocity)
    stations = read_stations(stations_from_truth(tmp_path, clean_track))
    sub, los, rows, cols = gnss.project_to_los(stations, product)     # geometry found through FILE_PATH
    src = open_product(clean_track)
    truth = open_product(clean_track.parent / "truth.h5")
    expected = enu_to_los(truth.read("east"), truth.read("north"), truth.read("up"), src.read("incidenceAngle"),
                          src.read("azimuthAngle"))[rows, cols]
    assert len(sub) == 5
    np.testing.assert_allclose(los, expected, atol=2e-8)
    result = gnss.compare(stations, product, product.read("velocity"))
    assert result.rms < 2e-4                                  # noise-free InSAR vs exact GNSS; 3x3 median only
    assert abs(result.offset) > 1e-4                          # the InSAR is referenced, GNSS is not


def test_gnss_arrows_los_scatter_and_kmz(clean_velocity, clean_track, tmp_path):
    cfg = plot_cfg(tmp_path, gnss=str(stations_from_truth(tmp_path, clean_track)), gnssMode="both", kmz="yes",
                   dpi="80")
    _fig, ax, _d = maps.make_figure(open_product(clean_velocity), cfg)
    assert any(c.get_gid() == "gnss_arrows" for c in ax.collections)
    los = [c for c in ax.collections if c.get_gid() == "gnss_los"]
    assert len(los) == 1 and len(los[0].get_offsets()) == 5
    written = render.plot_product(clean_velocity, cfg, tmp_path / "map.png")
    names = [p.name for p in written]
    assert names == ["map.png", "map_gnss.png", "map_gnss.csv", "map.kmz"]
    with zipfile.ZipFile(tmp_path / "map.kmz") as z:
        kml = z.read("doc.kml").decode()
        assert "overlay.png" in z.namelist()
    _s, n, w, _e = open_product(clean_velocity).grid.snwe
    assert f"<north>{n}</north>" in kml and f"<west>{w}</west>" in kml


def test_plot_script_and_errors(clean_velocity, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert plot_geotiff.main([str(clean_velocity), "--fault", str(fault_file(tmp_path)), "--outdir", "pic",
                              "--format", "pdf", "--dpi", "72", "-q"]) == 0
    assert (tmp_path / "pic" / f"{clean_velocity.stem}.pdf").stat().st_size > 5000
    (tmp_path / "g.txt").write_text("1 2 3\n")
    assert plot_geotiff.main([str(clean_velocity), "--gnss", "g.txt", "-q"]) == 1
    assert "unknown GNSS table format" in capsys.readouterr().err
    assert plot_geotiff.main([str(clean_velocity), "--shpdir", "nowhere", "-q"]) == 2   # found by the plan
    assert "shpdir: " in (err := capsys.readouterr().err) and "nowhere not found" in err
    (tmp_path / "afile").write_text("")
    assert plot_geotiff.main([str(clean_velocity), "--shpdir", "afile", "-q"]) == 1
    assert "is not a folder" in capsys.readouterr().err
    p = open_product(clean_velocity)
    hz = write_h5(tmp_path / "hz.h5", {"velocity": p.read("velocity")},
                  {**p.grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"})
    lat, lon = p.grid.rowcol_to_lalo(10, 10)
    (tmp_path / "one.csv").write_text(f"lon,lat,ve,vn\n{lon},{lat},1,2\n")
    with pytest.raises(ProductError, match=r"hz\.h5: no LOS geometry"):
        gnss.project_to_los(read_stations(tmp_path / "one.csv"), open_product(hz))


def test_pygmt_backend_draws_the_same_map(clean_velocity, tmp_path):
    try:
        import pygmt  # noqa: F401
    except Exception as err:  # pygmt raises its own error when the GMT library is missing
        pytest.skip(f"PyGMT/GMT not available here ({type(err).__name__}); CI installs GMT in .ci/run")
    cfg = plot_cfg(tmp_path, backend="pygmt", fault=str(fault_file(tmp_path)), dpi="100")
    out = render.plot_product(clean_velocity, cfg, tmp_path / "gmt.png")[0]
    from PIL import Image
    with Image.open(out) as im:
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3)
        assert im.size[0] > 400 and len(np.unique(pixels, axis=0)) > 50


def test_fault_file_with_no_line_on_the_map_is_reported(clean_velocity, tmp_path, caplog):
    far = tmp_path / "far.gmt"
    far.write_text("> elsewhere\n10 10\n11 11\n")
    _fig, ax, _d = maps.make_figure(open_product(clean_velocity), plot_cfg(tmp_path, fault=str(far)))
    assert not [ln for ln in ax.get_lines() if ln.get_gid() == "fault"]
    assert "far.gmt: no line inside the map" in caplog.text


def test_large_products_are_drawn_from_every_kth_pixel(tmp_path):
    """A 4100-pixel-wide map is read decimated (k = 3) in row blocks: the display pixels are the product's
    pixels [::3, ::3], each centred on the pixel it shows; GNSS compares at full resolution."""
    grid = Grid(4100, 301, 10.0, 45.0, 0.001, -0.001)
    data = np.random.default_rng(0).normal(size=grid.shape).astype(np.float32)
    path = write_h5(tmp_path / "big.h5", {"velocity": data}, {**grid.to_attrs(), "FILE_TYPE": "velocity",
                                                              "UNIT": "m/year"})
    shown = maps.map_data(open_product(path))
    np.testing.assert_allclose(shown.values, data[::3, ::3].astype(np.float64) * 1000)
    assert shown.grid.lons()[5] == pytest.approx(grid.lons()[15]) and shown.grid.lats()[7] == pytest.approx(
        grid.lats()[21])
    assert shown.values.shape == (101, 1367)

"""Figures a geodesist would publish (issue 8, items 5, 6, 16, 17, 18): the numbers behind each picture,
read from the matplotlib objects (colour limits, extend, colormap, tick labels, axis labels, GNSS values,
scale-bar length, key position, masked pixels), each against a truth computed independently."""

from __future__ import annotations

import itertools
import re
import shutil
import warnings
from pathlib import Path

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
import rasterio
from matplotlib.quiver import QuiverKey
from matplotlib.transforms import Bbox
from pyproj import Geod

from mimtpy.analysis import profiles, track_offset, transect_plot
from mimtpy.app import parse_template
from mimtpy.basic import products
from mimtpy.cli import plot_geotiff
from mimtpy.context import RunContext
from mimtpy.core.dates import decimal_years
from mimtpy.core.geometry import enu_to_los
from mimtpy.core.grid import Grid
from mimtpy.io import open_product, write_geotiff, write_h5
from mimtpy.io.gnss import read_stations
from mimtpy.ops import gnss
from mimtpy.viz import maps

from .conftest import DATA, KIRISHIMA


def plot_cfg(folder: Path, **keys: str):
    text = "\n".join(f"mimtpy.plot.{k} = {v}" for k, v in keys.items())
    return parse_template(text, folder / "p.template").configs["plot"]


@pytest.fixture(scope="module")
def velocity(clean_track, tmp_path_factory) -> Path:
    """Noise-free velocity of the synthetic Mogi scene (MintPy-referenced LOS, m/yr)."""
    out = tmp_path_factory.mktemp("vel")
    cfg = parse_template(f"mimtpy.velcumu.outdir = {out}", out / "v.template").configs["velcumu"]
    return products.process(clean_track, "velocity", cfg, RunContext(out), out)[0]


@pytest.fixture(scope="module")
def displacement(clean_track, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("disp")
    cfg = parse_template(f"mimtpy.velcumu.outdir = {out}\nmimtpy.velcumu.type = displacement",
                         out / "d.template").configs["velcumu"]
    return products.process(clean_track, "displacement", cfg, RunContext(out), out)[0]


def truth_stations(folder: Path, clean_track: Path, pixels, name="gnss.csv", std=True) -> Path:
    """GNSS CSV (mm/yr) whose velocities are the synthetic truth at the given (row, col) pixel centres."""
    truth = open_product(clean_track.parent / "truth.h5")
    e, n, u = (truth.read(x) for x in ("east", "north", "up"))
    lines = ["site,lon,lat,ve,vn,vu,se,sn,su" if std else "site,lon,lat,ve,vn,vu"]
    for k, (r, c) in enumerate(pixels):
        lat, lon = truth.grid.rowcol_to_lalo(r, c)
        sig = f",{0.5 + 0.1 * k:.2f},{0.6 + 0.1 * k:.2f},{1.0 + 0.2 * k:.2f}" if std else ""
        lines.append(f"S{k:03d},{lon:.8f},{lat:.8f},{e[r, c] * 1e3:.6f},{n[r, c] * 1e3:.6f},{u[r, c] * 1e3:.6f}{sig}")
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def insar_at(product, name: str, r: int, c: int) -> float:
    """The InSAR value at a station as ops.gnss reads it: median of the 3x3 pixels (stored unit)."""
    return float(np.nanmedian(product.read(name)[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2]))


# ---------------------------------------------------------------- 16: colour scales

def test_default_scale_of_signed_data_is_symmetric_999_permille_with_extend(velocity, tmp_path):
    product = open_product(velocity)
    fig, ax, _d = maps.make_figure(product, plot_cfg(tmp_path))
    image = ax.get_images()[-1]
    values = product.read("velocity").astype(float) * 1e3                 # the map's own pixels (100 x 100)
    values = values[np.isfinite(values)]
    lim = np.percentile(np.abs(values), 99.9)
    assert image.get_clim() == pytest.approx((-lim, lim))
    assert image.get_cmap().name == "RdBu_r"
    below, above = values.min() < -lim, values.max() > lim
    assert below                                                          # the Mogi peak exceeds the 99.9th pct
    expected = {(True, True): "both", (True, False): "min", (False, True): "max"}[below, above]
    assert fig.axes[1].get_label() == "<colorbar>" and ax.images[-1].colorbar.extend == expected
    assert values.min() < -20 and lim > 0.75 * abs(values.min())         # the -38 mm/yr signal is shown
    plt.close(fig)


def test_one_sided_quantities_get_a_sequential_scale_from_the_data(velocity, tmp_path):
    product = open_product(velocity)
    fig, ax, _d = maps.make_figure(product, plot_cfg(tmp_path, type="velocityStd"))
    image = ax.get_images()[-1]
    std = product.read("velocityStd").astype(float) * 1e3
    nodata = std == 0
    nodata[int(product.attrs["REF_Y"]), int(product.attrs["REF_X"])] = False    # the reference pixel is data
    std = std[np.isfinite(std) & ~nodata]
    assert image.get_cmap().name == "viridis"
    assert image.get_clim() == pytest.approx(tuple(np.percentile(std, [1, 99])))
    plt.close(fig)
    # all-negative data (subsidence only): sequential, limits from the data, not centred on 0
    grid = Grid(40, 30, 10.0, 45.0, 0.01, -0.01)
    sink = -np.linspace(1, 30, grid.width * grid.length).reshape(grid.shape) * 1e-3
    path = write_h5(tmp_path / "sink.h5", {"velocity": sink.astype(np.float32)},
                    {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"})
    fig, ax, _d = maps.make_figure(open_product(path), plot_cfg(tmp_path))
    vmin, vmax = ax.get_images()[-1].get_clim()
    assert ax.get_images()[-1].get_cmap().name == "viridis"
    assert (vmin, vmax) == pytest.approx(tuple(np.percentile(sink.astype(np.float32) * 1e3, [1, 99])), rel=1e-5)
    assert vmax < 0 and ax.images[-1].colorbar.extend == "both"
    plt.close(fig)


def test_vlim_cmap_and_wrap_options(velocity, tmp_path):
    product = open_product(velocity)
    values = product.read("velocity").astype(float) * 1e3
    fig, ax, _d = maps.make_figure(product, plot_cfg(tmp_path, vlim="-5 8", cmap="magma"))
    image = ax.get_images()[-1]
    assert image.get_clim() == (-5, 8) and image.get_cmap().name == "magma"
    expected = {(True, True): "both", (True, False): "min", (False, True): "max", (False, False): "neither"}
    assert image.colorbar.extend == expected[np.nanmin(values) < -5, np.nanmax(values) > 8]
    assert np.nanmin(values) < -5                                        # the Mogi peak is clipped: an arrow
    plt.close(fig)
    fig, ax, _d = maps.make_figure(product, plot_cfg(tmp_path, wrap="28"))
    image = ax.get_images()[-1]
    assert image.get_clim() == (-14, 14) and image.colorbar.extend == "neither"
    shown = np.ma.filled(image.get_array().astype(float), np.nan)
    ok = np.isfinite(values)
    np.testing.assert_allclose(shown[ok], np.mod(values[ok] + 14, 28) - 14, atol=1e-9)
    assert np.nanmax(shown) < 14 and np.nanmin(shown) >= -14
    plt.close(fig)
    # the script takes the same keys
    assert plot_geotiff.main([str(velocity), "--vlim", "-10", "10", "--cmap", "magma", "--wrap", "28",
                              "--outdir", str(tmp_path / "fig"), "--dpi", "50", "-q"]) == 0
    assert (tmp_path / "fig" / f"{velocity.stem}.png").stat().st_size > 1000


def test_zero_valued_pixels_of_velocity_files_are_no_data(tmp_path):
    """Kirishima velocity.h5 (MintPy) has 1026 pixels equal to 0: its 1025 masked pixels and the reference
    pixel (REF_Y/X 346/162, 0 by definition, kept)."""
    product = open_product(KIRISHIMA / "velocity.h5")
    raw = open_product(KIRISHIMA / "velocity.h5", mask=False).read("velocity")      # as stored
    zeros = raw == 0
    assert zeros.sum() == 1026 and raw[346, 162] == 0
    zeros[346, 162] = False
    fig, ax, data = maps.make_figure(product, plot_cfg(tmp_path, scalebar="no"))
    shown = np.ma.filled(ax.get_images()[-1].get_array().astype(float), np.nan)
    assert np.isnan(shown[zeros]).all() and np.isfinite(shown[~zeros]).all() and shown[346, 162] == 0
    assert data.zero_masked == 1025
    plt.close(fig)
    fig, ax, data = maps.make_figure(product, plot_cfg(tmp_path, zeroMask="no", scalebar="no"))
    shown = np.ma.filled(ax.get_images()[-1].get_array().astype(float), np.nan)
    assert data.zero_masked == 0 and (shown[zeros] == 0).all()
    plt.close(fig)


# ---------------------------------------------------------------- 17: titles and ticks

def test_titles_use_track_number_and_platform_and_ticks_are_plain_degrees(tmp_path):
    product = open_product(KIRISHIMA / "velocity.h5")          # ALOS-2: relative_orbit = 'None', trackNumber 23
    fig, ax, _d = maps.make_figure(product, plot_cfg(tmp_path))
    title = ax.get_title()
    assert "T23" in title and "Alos2" in title and "des" in title and "TNone" not in title
    assert "20150209-20170918" in title
    fig.canvas.draw()
    for axis in (ax.xaxis, ax.yaxis):
        assert axis.get_offset_text().get_text() == ""
        ticks = [(t.get_loc(), t.label1.get_text()) for t in axis.get_major_ticks() if t.label1.get_text()]
        assert len(ticks) >= 2
        for loc, text in ticks:                      # the label is the coordinate itself, in plain degrees
            assert re.fullmatch(r"\d+\.\d+", text) and float(text) == pytest.approx(loc, abs=1e-6)
    plt.close(fig)


def test_geotiff_titles_name_the_file_and_its_dates(tmp_path):
    vel = maps.map_data(open_product(DATA / "alignsar_campi_flegrei_licsbas" / "prelim_vel.tif"))
    assert vel.title.startswith("prelim_vel.tif") and "data" not in vel.title
    unw = DATA / "pyrate_mexico_cropA" / "cropA_20180106-20180130_VV_8rlks_eqa_unw.tif"
    assert "20180106-20180130" in maps.map_data(open_product(unw)).title


# ---------------------------------------------------------------- 6: projected and ungeoreferenced rasters

def test_utm_geotiff_is_drawn_in_metres_with_a_scale_bar_in_metres(tmp_path):
    grid = Grid(200, 150, 500000.0, 3800000.0, 100.0, -100.0, 32611)        # 20 km x 15 km, UTM 11N
    xx = np.mgrid[0:150, 0:200][1]
    path = write_geotiff(tmp_path / "utm.tif", ((xx - 100.0) * 1e-4).astype(np.float32), grid)
    fig, ax, data = maps.make_figure(open_product(path), plot_cfg(tmp_path))
    assert ax.get_xlabel() == "Easting (km)" and ax.get_ylabel() == "Northing (km)"
    assert data.crs == "projected"
    assert ax.get_xlim() == pytest.approx((500000, 520000)) and ax.get_aspect() == 1.0
    fig.canvas.draw()
    for tick in ax.get_xticklabels():
        if tick.get_text():
            assert float(tick.get_text()) == pytest.approx(tick.get_position()[0] / 1e3)
    (bar,) = [ln for ln in ax.get_lines() if ln.get_gid() == "scalebar"]
    x, _y = bar.get_data()
    assert x[1] - x[0] == pytest.approx(5000.0)                # 1-2-5 length nearest 20 km / 5, in CRS metres
    (label,) = [t for t in ax.texts if t.get_gid() == "scalebar_label"]
    assert label.get_text() == "5 km"
    plt.close(fig)


def test_ungeoreferenced_geotiff_gets_pixel_axes_a_warning_and_no_scale_bar(tmp_path, caplog):
    path = tmp_path / "raw.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # rasterio's NotGeoreferencedWarning is what we test for
        with rasterio.open(path, "w", driver="GTiff", width=60, height=40, count=1, dtype="float32") as dst:
            dst.write(np.arange(2400, dtype=np.float32).reshape(40, 60) - 1200, 1)
        fig, ax, data = maps.make_figure(open_product(path), plot_cfg(tmp_path))
    assert not [ln for ln in ax.get_lines() if ln.get_gid() == "scalebar"]
    assert ax.get_xlabel() == "Column (pixel)" and ax.get_ylabel() == "Row (pixel)"
    assert data.crs == "pixel"
    assert [t for t in ax.texts if t.get_gid() == "no_georeference"]
    assert "not georeferenced" in caplog.text
    assert ax.get_ylim() == (40, 0)                  # row 0 at the top
    plt.close(fig)


@pytest.mark.parametrize("lat", [0.5, 34.0, 60.0])
def test_geographic_scale_bar_length_is_true_at_the_map_latitude(tmp_path, lat):
    grid = Grid(100, 100, 10.0, lat + 0.5, 0.01, -0.01)
    path = write_h5(tmp_path / "v.h5", {"velocity": np.ones(grid.shape, np.float32) * 1e-3},
                    {**grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year"})
    fig, ax, _d = maps.make_figure(open_product(path), plot_cfg(tmp_path))
    (bar,) = [ln for ln in ax.get_lines() if ln.get_gid() == "scalebar"]
    (x0, x1), (y0, y1) = bar.get_data()
    (label,) = [t for t in ax.texts if re.fullmatch(r"[\d.]+ km", t.get_text())]
    km = float(label.get_text().split()[0])
    geodesic = Geod(ellps="WGS84").inv(x0, y0, x1, y1)[2]
    assert geodesic == pytest.approx(km * 1e3, rel=1e-4)
    width = Geod(ellps="WGS84").inv(10.0, y0, 11.0, y0)[2] / 1e3            # km across the 1-degree map
    nice = [m * 10.0 ** p for p in range(-1, 4) for m in (1, 2, 5)]
    assert km == min(nice, key=lambda v: abs(v - width / 5))
    plt.close(fig)


# ---------------------------------------------------------------- 5: GNSS in the InSAR frame

PIXELS = [(20, 25), (50, 60), (80, 30), (35, 80), (70, 75)]


def test_gnss_los_on_maps_has_the_reference_offset_removed(velocity, clean_track, tmp_path):
    product = open_product(velocity)
    csv = truth_stations(tmp_path, clean_track, PIXELS)
    fig, ax, _d = maps.make_figure(product, plot_cfg(tmp_path, gnss=str(csv), gnssMode="los"))
    (circles,) = [c for c in ax.collections if c.get_gid() == "gnss_los"]
    shown = np.asarray(circles.get_array(), float)                      # mm/yr
    insar = np.array([insar_at(product, "velocity", r, c) for r, c in PIXELS]) * 1e3
    src = open_product(clean_track)
    truth = open_product(clean_track.parent / "truth.h5")
    los = enu_to_los(truth.read("east"), truth.read("north"), truth.read("up"), src.read("incidenceAngle"),
                     src.read("azimuthAngle"))
    los = np.array([los[r, c] for r, c in PIXELS]) * 1e3
    offset = np.median(insar - los)
    assert abs(offset) > 1.0                                            # the InSAR is referenced, GNSS is not
    np.testing.assert_allclose(shown, los + offset, atol=0.05)
    np.testing.assert_allclose(shown, insar, atol=0.3)                  # GNSS sits on the InSAR map
    plt.close(fig)
    # the same velocity stored in mm/yr (as LiCSBAS writes): the GNSS (m/yr) is brought to mm/yr first
    mm = write_h5(tmp_path / "mm.h5", {"velocity": product.read("velocity") * 1e3},
                  {**product.attrs, "UNIT": "mm/yr"})
    fig, ax, _d = maps.make_figure(open_product(mm), plot_cfg(tmp_path, gnss=str(csv), gnssMode="los"))
    (circles,) = [c for c in ax.collections if c.get_gid() == "gnss_los"]
    np.testing.assert_allclose(np.asarray(circles.get_array(), float), shown, atol=1e-3)
    plt.close(fig)


@pytest.fixture(scope="module")
def components(clean_track, tmp_path_factory) -> tuple[Path, Path]:
    """hz (east) and up products made from the synthetic truth (as horzvert writes them)."""
    folder = tmp_path_factory.mktemp("hv")
    truth = open_product(clean_track.parent / "truth.h5")
    out = []
    for comp, name in (("hz", "east"), ("up", "up")):
        attrs = {**truth.grid.to_attrs(), "FILE_TYPE": "velocity", "UNIT": "m/year", "COMPONENT": comp,
                 "HORZ_AZIMUTH": "-90.0"}
        out.append(write_h5(folder / f"{comp}.h5", {"velocity": truth.read(name).astype(np.float32)}, attrs))
    return out[0], out[1]


def test_gnss_on_profiles_is_the_projected_velocity_on_every_comparable_panel(velocity, components,
                                                                             clean_track, tmp_path):
    csv = truth_stations(tmp_path, clean_track, PIXELS)
    stations = read_stations(csv)
    prods = [open_product(velocity), open_product(components[0]), open_product(components[1])]
    g = prods[0].grid
    start, end = g.rowcol_to_lalo(50, 5), g.rowcol_to_lalo(50, 95)           # through station S001 (50, 60)
    far = profiles.point_profile(g.rowcol_to_lalo(5, 5), g.rowcol_to_lalo(5, 40), 1.0)   # no station
    line = profiles.point_profile(start, end, 2.0)
    far.index = 2
    names = ["velocity", "velocity", "velocity"]
    results = [[profiles.bin_profile(p, prod, n, 0.5) for prod, n in zip(prods, names, strict=True)]
               for p in (line, far)]
    fig = transect_plot.transect_figure(prods, [line, far], results, [], stations)
    panels = [ax for ax in fig.axes if ax.get_title().startswith("A-A'")]
    assert len(panels) == 3
    truth = open_product(clean_track.parent / "truth.h5")
    src = open_product(clean_track)
    r, c = 50, 60
    e, n, u = (truth.read(x)[r, c] for x in ("east", "north", "up"))
    los = enu_to_los(e, n, u, src.read("incidenceAngle")[r, c], src.read("azimuthAngle")[r, c])
    expected = {"LOS": los, "hz": e, "up": u}
    sigma = {"hz": 0.6, "up": 1.2}                                         # S001: se 0.6, su 1.2 mm/yr
    for ax, prod in zip(panels, prods, strict=True):
        (errorbar,) = [c for c in ax.containers if c.get_label().startswith("GNSS")]
        comp = errorbar.get_label()[6:-1]
        x, y = errorbar.lines[0].get_data()
        assert len(y) == 1
        result = gnss.compare(stations, prod, prod.array("velocity"))
        assert y[0] == pytest.approx((expected[comp] + result.offset) * 1e3, abs=1e-3)   # projected + tie
        assert y[0] == pytest.approx(insar_at(prod, "velocity", r, c) * 1e3, abs=0.3)   # on the InSAR profile
        assert x[0] == pytest.approx(line.project(np.array([g.rowcol_to_lalo(r, c)[1]]),
                                                  np.array([g.rowcol_to_lalo(r, c)[0]]))[0][0], abs=1e-6)
        if comp in sigma:
            (bars,) = errorbar.lines[2]
            (seg,) = bars.get_segments()
            assert seg[1, 1] - seg[0, 1] == pytest.approx(2 * sigma[comp], abs=1e-6)
        assert any(t.get_text() == errorbar.get_label() for t in ax.get_legend().get_texts())
    assert {c.get_label() for ax in panels for c in ax.containers} == {"GNSS (LOS)", "GNSS (hz)", "GNSS (up)"}
    empty = [ax for ax in fig.axes if ax.get_title().startswith("B-B'")]
    assert all(any(t.get_text() == "no GNSS station in this swath" for t in ax.texts) for ax in empty)
    plt.close(fig)


# ---------------------------------------------------------------- 18: figures a geodesist would publish

def _polygon_boxes(collection):
    """Display-space bounding boxes of each polygon of a quiver (arrows) or quiver key (its arrow)."""
    trans, offtrans = collection.get_transform(), collection.get_offset_transform()
    boxes = []
    for path, off in zip(collection.get_paths(), collection.get_offsets(), strict=True):
        pts = trans.transform(path.vertices) + offtrans.transform(off)
        boxes.append(Bbox([pts.min(axis=0), pts.max(axis=0)]))
    return boxes


CORNER_ARROWS = {
    "two corners": [(95, 70, 20, 0), (92, 85, 10, 5), (8, 70, 20, 0), (50, 50, 5, 5)],
    "every corner": [(95, 70, 20, 0), (92, 85, 10, 5), (8, 70, 20, 0), (8, 5, 20, 0), (95, 5, 20, 0)],
}


@pytest.mark.parametrize("case", sorted(CORNER_ARROWS))
def test_gnss_key_does_not_overlap_the_arrows(velocity, tmp_path, case):
    """Long arrows where a fixed key would sit (lower right), then in every corner (the key goes above the map)."""
    csv = tmp_path / "corner.csv"
    g = open_product(velocity).grid
    rows = ["site,lon,lat,ve,vn,vu"]
    for k, (r, c, ve, vn) in enumerate(CORNER_ARROWS[case]):
        lat, lon = g.rowcol_to_lalo(r, c)
        rows.append(f"K{k},{lon},{lat},{ve},{vn},0")
    csv.write_text("\n".join(rows) + "\n")
    fig, ax, _d = maps.make_figure(open_product(velocity), plot_cfg(tmp_path, gnss=str(csv)))
    fig.canvas.draw()
    (key,) = [a for a in ax.get_children() if isinstance(a, QuiverKey)]
    renderer = fig.canvas.get_renderer()
    key_boxes = [key.text.get_window_extent(renderer), *_polygon_boxes(key.vector)]
    assert len(key_boxes) == 2 and all(np.isfinite(b.extents).all() and b.width > 5 for b in key_boxes)
    (arrows,) = [c for c in ax.collections if c.get_gid() == "gnss_arrows"]
    for box in _polygon_boxes(arrows):
        assert not any(box.overlaps(kb) for kb in key_boxes)
    texts = [ax.title, ax.xaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]
    boxes = [t.get_window_extent(renderer) for t in texts if t.get_text() and t.get_visible()]
    assert len(boxes) > 4 and not any(b.overlaps(kb) for b in boxes for kb in key_boxes)
    assert (0 < key.Y < 1) == (case == "two corners")                   # a free corner inside, else outside
    plt.close(fig)


def test_displacement_maps_carry_gnss_arrows_over_the_period(displacement, clean_track, tmp_path):
    product = open_product(displacement)
    csv = truth_stations(tmp_path, clean_track, PIXELS, std=False)
    fig, ax, _d = maps.make_figure(product, plot_cfg(tmp_path, gnss=str(csv)))
    (q,) = [c for c in ax.collections if c.get_gid() == "gnss_arrows"]
    t0, t1 = decimal_years([product.attrs["START_DATE"], product.attrs["END_DATE"]])
    truth = open_product(clean_track.parent / "truth.h5")
    ve = np.array([truth.read("east")[r, c] for r, c in PIXELS])
    np.testing.assert_allclose(q.U, ve * 1e3 * (t1 - t0), rtol=1e-5)            # mm over the period
    (key,) = [a for a in ax.get_children() if isinstance(a, QuiverKey)]
    assert re.fullmatch(r"[\d.]+ mm \([\d.]+ yr\)", key.text.get_text())
    plt.close(fig)
    # without a period: no arrows, and the figure says so
    noperiod = write_h5(tmp_path / "d.h5", {"displacement": product.read("displacement")},
                        {k: v for k, v in product.attrs.items() if k not in ("START_DATE", "END_DATE")})
    fig, ax, _d = maps.make_figure(open_product(noperiod), plot_cfg(tmp_path, gnss=str(csv)))
    assert not [c for c in ax.collections if c.get_gid() == "gnss_arrows"]
    assert any("period" in t.get_text() for t in ax.texts if t.get_gid() == "gnss_note")
    plt.close(fig)


def test_hillshade_masks_no_data_before_shading():
    """A plane shades uniformly: no darker or brighter rim along the edge of a NaN/zero no-data area."""
    yy, xx = np.mgrid[0:60, 0:80].astype(float)
    dem = 500 + 20 * xx + 10 * yy
    dem[10:30, 15:40] = np.nan                                          # a hole
    dem[(xx - 60) ** 2 + (yy - 40) ** 2 < 120] = 0                      # MintPy's 0 = no data
    dem[:, :3] = np.nan                                                 # a swath edge
    shade = maps.hillshade(dem)
    invalid = ~np.isfinite(dem) | (dem == 0)
    assert isinstance(shade, np.ma.MaskedArray) and (np.ma.getmaskarray(shade) == invalid).all()
    plane = mcolors.LightSource(azdeg=315, altdeg=45).hillshade(500 + 20 * xx + 10 * yy, vert_exag=0.05)
    np.testing.assert_allclose(shade.compressed(), plane[30, 40], atol=1e-9)


def test_pair_figure_maps_are_in_geographic_aspect():
    grid = Grid(60, 40, 130.0, 60.4, 0.01, -0.01)
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=grid.shape) * 1e-3, rng.normal(size=grid.shape) * 1e-3
    fig = track_offset.pair_figure(a, b, a * 0.5, b * 0.5, grid, ("t1", "t2"), None)
    s, n, _w, _e = grid.snwe
    for ax in fig.axes[:2]:
        if ax.get_images():
            assert ax.get_aspect() == pytest.approx(1 / np.cos(np.deg2rad((s + n) / 2)))
    plt.close(fig)


def test_transect_map_labels_profiles_a_to_a_prime_numbered_from_1_and_clipped(velocity, tmp_path):
    product = open_product(velocity)
    trace = np.array([[-118.29, 34.15], [-118.01, 34.15]])
    lines = profiles.fault_profiles(trace, 3, None, 25.0, 4.0)                 # 25 km: beyond the 33 km map
    assert [p.index for p in lines] == [1, 2, 3] and [p.label for p in lines] == ["A", "B", "C"]
    results = [[profiles.bin_profile(p, product, "velocity", 1.0)] for p in lines]
    fig = transect_plot.transect_figure([product], lines, results, [trace], None)
    ax_map = fig.axes[0]
    w, e, s, n = maps.map_data(product).extent
    labels = sorted(t.get_text() for t in ax_map.texts if t.get_gid() == "profile_label")
    assert labels == ["A", "A'", "B", "B'", "C", "C'"]
    for t in ax_map.texts:
        if t.get_gid() == "profile_label":
            x, y = t.get_position()
            assert w - 1e-9 <= x <= e + 1e-9 and s - 1e-9 <= y <= n + 1e-9
    swaths = [ln for ln in ax_map.get_lines() if ln.get_gid() == "swath"]
    assert swaths
    for ln in swaths:
        x, y = ln.get_data()
        assert x.min() >= w - 1e-9 and x.max() <= e + 1e-9 and y.min() >= s - 1e-9 and y.max() <= n + 1e-9
    arrows = [a for a in ax_map.texts if a.get_gid() == "profile_arrow"]
    assert len(arrows) == 3
    for arrow, p in zip(arrows, lines, strict=True):           # from A (start) toward A' (increasing distance)
        (x0, y0), (x1, y1) = arrow.xyann, arrow.xy
        d0, d1 = (p.project(np.array([x]), np.array([y]))[0][0] for x, y in ((x0, y0), (x1, y1)))
        assert d1 > d0
    titles = [ax.get_title() for ax in fig.axes[1:] if ax.get_title()]
    assert titles[0].startswith("A-A' (profile 1)")
    plt.close(fig)


def test_pygmt_draws_projected_and_wrapped_maps(tmp_path, velocity):
    try:
        import pygmt  # noqa: F401
    except Exception as err:  # pygmt raises its own error when the GMT library is missing
        pytest.skip(f"PyGMT/GMT not available here ({type(err).__name__})")
    from PIL import Image

    from mimtpy.viz import render

    grid = Grid(100, 80, 500000.0, 3800000.0, 200.0, -200.0, 32611)
    yy, xx = np.mgrid[0:80, 0:100]
    utm = write_geotiff(tmp_path / "utm.tif", np.hypot(xx - 50, yy - 40).astype(np.float32), grid)
    for path, keys in ((utm, {}), (velocity, {"wrap": "20"})):
        out = render.plot_product(path, plot_cfg(tmp_path, backend="pygmt", dpi="80", **keys),
                                  tmp_path / f"{path.stem}.png")[0]
        with Image.open(out) as im:
            assert len(np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0)) > 50
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_transects_map_takes_vlim_and_cmap(velocity, tmp_path, monkeypatch):
    from mimtpy.analysis import transects

    text = (f"mimtpy.transects.DataSet = {velocity}\nmimtpy.transects.outdir = {tmp_path}\n"
            "mimtpy.transects.start = 34.05, -118.25\nmimtpy.transects.end = 34.25, -118.05\n"
            "mimtpy.transects.vlim = -7 3\nmimtpy.transects.cmap = PuOr")
    cfg = parse_template(text, tmp_path / "t.template").configs["transects"]
    seen = {}

    def keep(fig, *args, **kwargs):
        image = fig.axes[0].get_images()[-1]
        seen.update(clim=image.get_clim(), cmap=image.get_cmap().name, extend=image.colorbar.extend)

    monkeypatch.setattr(plt.Figure, "savefig", keep)
    transects.run(cfg, RunContext(tmp_path))
    assert seen == {"clim": (-7, 3), "cmap": "PuOr", "extend": "both"}    # Mogi values below -7 and above 3


def test_a_geotiff_in_metres_per_year_is_drawn_in_mm_per_year_like_the_h5(tmp_path):
    """A velocity GeoTIFF of another tool (band 'data', UNIT m/year, no FILE_TYPE) shows mm/yr like every
    velocity .h5, so --vlim in mm/yr means the same for both (before: drawn in m/year)."""
    grid = Grid(30, 20, 130.8, 31.98, 0.001, -0.001)
    values = np.linspace(-0.02, 0.02, 600, dtype=np.float32).reshape(20, 30)
    path = write_geotiff(tmp_path / "vel.tif", values, grid, tags={"UNIT": "m/year"})
    product = open_product(path)
    assert product.file_type != "velocity"
    data = maps.map_data(product)
    assert data.unit == "mm/yr"
    np.testing.assert_allclose(data.values, values * 1000, rtol=1e-6)


def test_pair_figure_longitude_labels_do_not_overlap_on_a_narrow_overlap():
    """The demo's overlap strip (0.22 x 0.6 deg at 34 N) in true aspect is a narrow panel: its four longitude
    labels ran into one another ('-118.007.947.8...'); fewer ticks are kept, each label readable."""
    grid = Grid(110, 300, -118.04, 34.6, 0.002, -0.002)
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=grid.shape) * 1e-3, rng.normal(size=grid.shape) * 1e-3
    fig = track_offset.pair_figure(a, b, a * 0.5, b * 0.5, grid, ("SynthSenAT100", "SynthSenAT102"), None)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        if not ax.get_images():
            continue
        boxes = sorted((t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()),
                       key=lambda box: box.x0)
        assert len(boxes) >= 2
        assert all(right.x0 >= left.x1 for left, right in itertools.pairwise(boxes))
    plt.close(fig)

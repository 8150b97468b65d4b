"""The time-series viewer: its data layer against the file's own values, np.polyfit and the full-grid
velocity; its exports; its script; and the page in a real headless chromium (click a pixel, read the
series back from the page, change the period, screenshot)."""

from __future__ import annotations

import csv
import urllib.request
from pathlib import Path

import h5py
import numpy as np
import pytest

from mimtpy.app import parse_template
from mimtpy.basic import products
from mimtpy.cli import tsview as tsview_cli
from mimtpy.config import ComputeConfig
from mimtpy.context import RunContext
from mimtpy.core.dates import decimal_years
from mimtpy.errors import InputError, ProductError
from mimtpy.io import open_product, write_h5
from mimtpy.io.gnss import read_stations
from mimtpy.ops.velocity import compute_displacement, compute_velocity, select_period
from mimtpy.tools import view
from mimtpy.viz.tsview import export
from mimtpy.viz.tsview.data import Source, decimated_map, fit_rate, period_indices
from mimtpy.viz.tsview.viewer import Viewer, ViewerSettings
from tests import browser

DISPLACEMENT = "HDFEOS/GRIDS/timeseries/observation/displacement"


def file_series(path: Path, row: int, col: int) -> np.ndarray:
    """The series of a pixel read with h5py straight from the HDF-EOS5 file (m)."""
    with h5py.File(path, "r") as f:
        return f[DISPLACEMENT][:, row, col].astype(np.float64)


def file_dates(path: Path) -> list[str]:
    with h5py.File(path, "r") as f:
        return [d.decode() for d in f["HDFEOS/GRIDS/timeseries/observation/date"][:]]


def pixel_centre(path: Path, row: int, col: int) -> tuple[float, float]:
    """MintPy's pixel centre, from the attributes: first + (index + 0.5) * step."""
    with h5py.File(path, "r") as f:
        a = f.attrs
        return (float(a["Y_FIRST"]) + (row + 0.5) * float(a["Y_STEP"]),
                float(a["X_FIRST"]) + (col + 0.5) * float(a["X_STEP"]))


def valid_pixel(paths: list[Path], near: tuple[int, int] = (40, 60)) -> tuple[int, int]:
    """A pixel of the first track near ``near`` whose series is complete in every track at its centre."""
    for dr in range(0, 20):
        row, col = near[0] + dr, near[1] + dr
        lat, lon = pixel_centre(paths[0], row, col)
        if all(np.isfinite(file_series(p, *open_product(p).grid.lalo_to_rowcol(lat, lon))).all() for p in paths):
            return row, col
    raise AssertionError("no complete pixel found")


def polyfit_rate(t: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and MintPy's residual std of the slope, computed here with np.polyfit."""
    ok = np.isfinite(y)
    t, y = t[ok], y[ok]
    slope, icpt = np.polyfit(t, y, 1)
    rss = np.sum((y - (slope * t + icpt)) ** 2)
    return float(slope), float(np.sqrt(rss / (t.size - 2) / np.sum((t - t.mean()) ** 2)))


# -- data layer ---------------------------------------------------------------------------------------------
def test_pixel_series_equals_the_file_values(noisy_pair):
    path = noisy_pair[0]
    source = Source.open(path)
    assert source.has_series and source.maps[:2] == ("velocity", "displacement")
    for row, col in ((0, 0), (37, 81), (99, 99)):
        np.testing.assert_array_equal(source.pixel_series(row, col), file_series(path, row, col))
    assert source.dates == file_dates(path)


@pytest.mark.parametrize("kind", ["timeseries.h5", "cube.nc", "cube.zarr", "alignsar.nc"])
def test_other_products_give_the_same_series_and_map(noisy_pair, tmp_path, kind):
    """MintPy timeseries.h5 and NetCDF/Zarr cubes (CF, and AlignSAR's mm) made from the HDF-EOS5 file."""
    from mimtpy.io import write_cube

    path = noisy_pair[0]
    product = open_product(path)
    if kind == "timeseries.h5":
        out = tmp_path / kind
        attrs = {**product.attrs, "FILE_TYPE": "timeseries", "UNIT": "m"}
        write_h5(out, {"timeseries": product.read("timeseries")}, attrs, dates=product.dates)
    else:
        out = write_cube(tmp_path / kind, product, alignsar=kind.startswith("alignsar"))
    he5, other = Source.open(path), Source.open(out)
    assert other.has_series and other.dates == he5.dates
    lat, lon = pixel_centre(path, 37, 81)
    np.testing.assert_allclose(other.pixel_series(*other.locate(lat, lon)), he5.pixel_series(37, 81),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(other.map("velocity", max_pixels=50).values, he5.map("velocity", max_pixels=50).values,
                               rtol=1e-4, atol=1e-4)


def test_an_east_up_pair_of_time_series_beside_the_tracks(noisy_pair, tmp_path):
    """horzvert's east/up time series and both LOS tracks at one point: each file's own values at its pixel."""
    from mimtpy.analysis import horzvert

    text = (f"mimtpy.horzvert.DataSet = {', '.join(map(str, noisy_pair))}\nmimtpy.horzvert.outdir = {tmp_path}\n"
            "mimtpy.horzvert.timeseries = yes\n")
    cfg = parse_template(text, tmp_path / "hv.template").configs["horzvert"]
    hz, up = (p for p in horzvert.run(cfg, RunContext(tmp_path)) if p.suffix == ".h5")
    viewer = Viewer(ViewerSettings((hz, up, *noisy_pair), export_dir=tmp_path / "exports"))
    assert [s.has_series for s in viewer.sources] == [True] * 4
    row, col = valid_pixel(noisy_pair)
    lat, lon = pixel_centre(noisy_pair[0], row, col)
    for point, path in zip(viewer.series_at(lat, lon), (hz, up, *noisy_pair), strict=True):
        product = open_product(path)
        r, c = product.grid.lalo_to_rowcol(lat, lon)
        assert point.dates == product.dates and (point.row, point.col) == (r, c)
        np.testing.assert_array_equal(point.values, product.read("timeseries")[:, r, c].astype(np.float64))


def test_lalo_to_pixel_uses_mintpy_pixel_centres(noisy_pair):
    path = noisy_pair[0]
    source = Source.open(path)
    with h5py.File(path, "r") as f:
        x_step, y_step = float(f.attrs["X_STEP"]), float(f.attrs["Y_STEP"])
    for row, col in ((0, 0), (12, 77), (99, 99)):
        lat, lon = pixel_centre(path, row, col)
        assert source.locate(lat, lon) == (row, col)
        assert source.grid.rowcol_to_lalo(row, col) == pytest.approx((lat, lon), abs=1e-12)
        for f_lat, f_lon in ((0.49, 0.49), (-0.49, -0.49), (0.49, -0.49)):      # anywhere inside the pixel's area
            assert source.locate(lat + f_lat * y_step, lon + f_lon * x_step) == (row, col)
    lat, lon = pixel_centre(path, 10, 10)
    assert source.locate(lat + 0.51 * y_step, lon) == (11, 10)                  # past the edge: the next row
    with pytest.raises(InputError, match=r"outside the grid"):
        source.locate(pixel_centre(path, 0, 0)[0] - y_step, lon)                # one pixel north of the first row


def test_rate_over_a_period_equals_polyfit(noisy_pair):
    path = noisy_pair[0]
    source = Source.open(path)
    dates = file_dates(path)
    t = decimal_years(dates)
    row, col = valid_pixel(noisy_pair)
    y = file_series(path, row, col)
    y[5] = np.nan                                          # a missing epoch is left out of the fit
    for start, end in ((None, None), ("20170601", "20180301"), ("20180101", None)):
        index = source.period(start, end)
        expected = [k for k, d in enumerate(dates) if (start is None or d >= start) and (end is None or d <= end)]
        np.testing.assert_array_equal(index, expected)
        rate = fit_rate(t, y, index)
        slope, std = polyfit_rate(t[index], y[index])
        assert rate.rate == pytest.approx(slope, rel=1e-5, abs=1e-7)
        assert rate.std == pytest.approx(std, rel=1e-4)
        assert rate.count == int(np.isfinite(y[index]).sum())


def test_a_period_with_fewer_than_two_dates_is_refused(noisy_pair):
    dates = file_dates(noisy_pair[0])
    with pytest.raises(InputError, match=r"holds 1 acquisition"):
        period_indices(dates, dates[3], dates[3], "track")
    with pytest.raises(InputError, match=r"before its start"):
        period_indices(dates, "20180101", "20170101", "track")


@pytest.mark.parametrize("kind", ["velocity", "displacement"])
def test_decimated_map_equals_the_full_grid_computation_at_its_pixels(noisy_pair, kind):
    path = noisy_pair[0]
    source = Source.open(path)
    product = open_product(path)
    start, end = "20170301", "20181001"
    index = source.period(start, end)
    period = select_period(product.dates, product.dates[index[0]], product.dates[index[-1]], "t")
    full_window = (slice(0, 100), slice(0, 100))
    compute = ComputeConfig()
    full = (compute_velocity(product, period, *full_window, None, compute)["velocity"] if kind == "velocity" else
            compute_displacement(product, period, *full_window, None, compute)["displacement"])
    for max_memory in (1.0, 2e-6):                     # one block; one display row per block
        image = decimated_map(source, kind, start, end, max_pixels=30, max_memory=max_memory)
        assert image.k == 4 and image.values.shape == (25, 25)
        assert image.unit == ("mm/yr" if kind == "velocity" else "mm")
        np.testing.assert_allclose(image.values, full[::4, ::4] * 1e3, rtol=1e-5, atol=1e-5)
        assert np.isnan(image.values).sum() == np.isnan(full[::4, ::4]).sum()
    # each display pixel is centred on the product pixel it shows
    assert image.grid.rowcol_to_lalo(3, 5) == pytest.approx(product.grid.rowcol_to_lalo(12, 20), abs=1e-12)


def test_velocity_file_shows_a_map_and_says_it_has_no_series(noisy_pair, tmp_path):
    cfg = parse_template(f"mimtpy.velcumu.outdir = {tmp_path}", tmp_path / "v.template").configs["velcumu"]
    velocity = products.process(noisy_pair[0], "velocity", cfg, RunContext(tmp_path), tmp_path)[0]
    viewer = Viewer(ViewerSettings((noisy_pair[0], velocity), export_dir=tmp_path / "exports"))
    flat = viewer.sources[1]
    assert not flat.has_series and flat.maps[0] == "velocity"
    image = viewer.map(1, viewer.default_kind(1), None, None)
    truth = open_product(velocity).read("velocity")
    np.testing.assert_allclose(image.values, truth * 1e3, rtol=1e-6)
    row, col = valid_pixel(noisy_pair)
    points = viewer.series_at(*pixel_centre(noisy_pair[0], row, col))
    assert points[0].ok and not points[1].dates
    assert "no time series" in points[1].message and f"{truth[row, col]:.6g}" in points[1].message
    with pytest.raises(InputError, match=r"no time series"):
        flat.pixel_series(row, col)


def test_nan_and_outside_points_are_reported_per_file(noisy_pair, tmp_path):
    viewer = Viewer(ViewerSettings(tuple(noisy_pair), export_dir=tmp_path))
    cube = open_product(noisy_pair[0]).read("timeseries", rows=slice(0, 100), cols=slice(0, 100))
    rows, cols = np.nonzero(~np.isfinite(cube).any(axis=0))
    assert rows.size, "the noisy fixture has holes"
    points = viewer.series_at(*pixel_centre(noisy_pair[0], rows[0], cols[0]))
    assert not points[0].ok and "NaN in every epoch" in points[0].message
    outside = viewer.series_at(10.0, 10.0)
    assert all("outside the grid" in p.message for p in outside)


def test_a_file_without_series_or_map_and_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(ProductError, match=r"not found"):
        Source.open(tmp_path / "none.h5")
    cube = tmp_path / "empty.h5"
    write_h5(cube, {"timeseries": np.zeros((1, 4, 4), np.float32)},
             {"FILE_TYPE": "timeseries", "WIDTH": "4", "LENGTH": "4", "X_FIRST": "0", "Y_FIRST": "1",
              "X_STEP": "0.1", "Y_STEP": "-0.1"}, dates=["20200101"])
    with pytest.raises(ProductError, match=r"nothing to show"):
        Source.open(cube)


def test_a_slow_velocity_map_follows_the_displacement_shown_at_once(noisy_pair, tmp_path, monkeypatch):
    import time

    from bokeh.document import Document

    from mimtpy.viz.tsview import page
    from mimtpy.viz.tsview import viewer as viewer_module

    monkeypatch.setattr(viewer_module, "QUICK_BYTES", 0)          # every velocity map counts as slow
    viewer = Viewer(ViewerSettings((noisy_pair[0],), export_dir=tmp_path))
    doc = Document()
    queued = []
    monkeypatch.setattr(doc, "add_next_tick_callback", queued.append)
    session = page.Session(viewer, doc)
    assert session.image.kind == "displacement" and "meanwhile" in session.map_fig.title.text
    np.testing.assert_array_equal(session.map_source.data["image"][0],
                                  viewer.map(0, "displacement", None, None).values[::-1])
    for _ in range(600):
        if queued:
            break
        time.sleep(0.1)
    queued[0]()                                                     # the server's next tick
    assert session.image.kind == "velocity" and "meanwhile" not in session.map_fig.title.text
    np.testing.assert_array_equal(session.map_source.data["image"][0],
                                  viewer.map(0, "velocity", None, None).values[::-1])


def test_slider_and_date_inputs_follow_each_other_and_refit(noisy_pair, tmp_path):
    from bokeh.document import Document

    from mimtpy.viz.tsview import page

    viewer = Viewer(ViewerSettings(tuple(noisy_pair), export_dir=tmp_path))
    session = page.Session(viewer, Document())
    row, col = valid_pixel(noisy_pair)
    session.show_point(*pixel_centre(noisy_pair[0], row, col))
    dates = file_dates(noisy_pair[0])
    t, y = decimal_years(dates), file_series(noisy_pair[0], row, col)
    session.slider.value = (page._ms("20170401"), page._ms("20180815"))          # both ends move at once
    assert (session.start_input.value, session.end_input.value) == ("20170401", "20180815")
    index = [k for k, d in enumerate(dates) if "20170401" <= d <= "20180815"]
    assert session.rates.data["rate"][0] == pytest.approx(polyfit_rate(t[index], y[index])[0] * 1e3, rel=1e-5)
    session.end_input.value = "20181001"
    assert [page._date_of(v) for v in session.slider.value] == ["20170401", "20181001"]
    index = [k for k, d in enumerate(dates) if "20170401" <= d <= "20181001"]
    assert session.rates.data["count"][0] == len(index)
    assert session.image.title.endswith(f"velocity {dates[index[0]]}-{dates[index[-1]]}")
    session.start_input.value = "2019-01-01"                                      # not YYYYMMDD: said, not raised
    assert "not a date in YYYYMMDD form" in session.status.text


# -- exports ------------------------------------------------------------------------------------------------
def test_exports_csv_series_png_and_map_png(noisy_pair, tmp_path):
    viewer = Viewer(ViewerSettings(tuple(noisy_pair), export_dir=tmp_path))
    row, col = valid_pixel(noisy_pair)
    lat, lon = pixel_centre(noisy_pair[0], row, col)
    points = viewer.series_at(lat, lon)
    out = export.write_series_csv(points, lat, lon, tmp_path / "s.csv")
    with open(out) as f:
        table = list(csv.reader(f))
    header, body = table[0], table[1:]
    assert header == ["date", "decimal_year", *(f"{p.label}_mm" for p in points)]
    dates = file_dates(noisy_pair[0])
    assert [r[0] for r in body] == sorted(set(dates) | set(file_dates(noisy_pair[1])))
    np.testing.assert_allclose([float(r[1]) for r in body], decimal_years([r[0] for r in body]), atol=1e-6)
    values = {r[0]: float(r[2]) for r in body if r[2]}
    expected = file_series(noisy_pair[0], row, col) * 1e3
    np.testing.assert_allclose([values[d] for d in dates], expected, atol=6e-5)
    for written in (export.write_series_png(points, lat, lon, "20170601", None, tmp_path / "s.png"),
                    export.write_map_png(viewer.map(0, "velocity", None, None), (-20, 20), viewer.settings.style,
                                         [], (lat, lon), tmp_path / "m.png")):
        assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and written.stat().st_size > 10_000
    assert not list(tmp_path.glob(".*.part"))


# -- the step and the script --------------------------------------------------------------------------------
def test_template_section_and_plan_problems(tmp_path):
    text = ("mimtpy.view = yes\nmimtpy.view.DataSet = missing.he5\nmimtpy.view.port = 0\n"
            "mimtpy.view.startDate = 20190101\nmimtpy.view.endDate = 20180101\n")
    cfg = parse_template(text, tmp_path / "t.template").configs["view"]
    assert cfg.port == 0 and cfg.open_browser is True
    problems = dict(view.plan(cfg, RunContext(tmp_path)).problems)
    assert "not found" in problems["DataSet"] and "is not after startDate" in problems["endDate"]


def test_script_refuses_a_missing_file_without_serving(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert tsview_cli.main([str(tmp_path / "missing.he5"), "--no-browser", "--port", "0"]) == 2
    assert "missing.he5 not found" in capsys.readouterr().err


def test_script_options_become_the_view_config(tmp_path, noisy_pair, monkeypatch):
    seen = {}

    def fake_serve(cfg, ctx, ready=None):
        seen.update(cfg=cfg, ctx=ctx)
        return []

    monkeypatch.setattr(view, "serve", fake_serve)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.gmt").write_text(">\n-118.3 34.0\n-118.1 34.2\n")     # the plan checks the fault file exists
    code = tsview_cli.main([str(noisy_pair[0]), "--no-browser", "--port", "0", "--faults", "f.gmt", "--start-date",
                            "20170601", "--max-memory", "0.5", "--vlim", "-10", "10"])
    assert code == 0
    cfg = seen["cfg"]
    assert cfg.open_browser is False and cfg.port == 0 and cfg.fault == tmp_path / "f.gmt"
    assert cfg.start_date == "20170601" and cfg.vlim == (-10.0, 10.0) and seen["ctx"].compute.max_memory == 0.5


def test_script_prints_the_url_serves_the_page_and_stops_on_ctrl_c(noisy_pair, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]),
                                                         os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "mimtpy.cli.tsview", str(noisy_pair[0]), "--no-browser", "--port",
                             "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env,
                            start_new_session=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("tsview: serving http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[2]
        with urllib.request.urlopen(url, timeout=60) as page:
            html = page.read().decode()
        assert "<title>mimtpy tsview</title>" in html and "/static/js/bokeh" in html     # BokehJS served locally
        assert "cdn.bokeh.org" not in html
        with urllib.request.urlopen(url + "static/js/bokeh.min.js", timeout=60) as js:
            assert js.status == 200
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "tsview stopped" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


# -- the page in a real browser -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(noisy_pair, tmp_path_factory):
    """The viewer of both noisy tracks (with the scene's fault and GNSS) served on a free port; stopped after."""
    from mimtpy.viz.tsview.server import ViewerServer

    scene = noisy_pair[0].parents[2]
    settings = ViewerSettings(tuple(noisy_pair), fault=scene / "fault_trace.gmt", gnss=scene / "gnss.csv",
                              export_dir=tmp_path_factory.mktemp("exports"))
    server = ViewerServer(Viewer(settings), port=0)
    url = server.start()
    yield url, settings
    server.stop()
    assert server._thread is None


@pytest.fixture(scope="module")
def chromium():
    if not browser.have_chromium():
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    driver = browser.chromium_driver()
    yield driver
    process = driver.service.process
    driver.quit()
    assert process.poll() is not None


def test_page_click_shows_the_pixel_series_and_the_period_updates_the_rate(served, chromium, noisy_pair, tmp_path):
    url, _settings = served
    driver = chromium
    driver.get(url)
    browser.wait_for_map(driver)
    row, col = valid_pixel(noisy_pair)
    lat, lon = pixel_centre(noisy_pair[0], row, col)
    browser.click_map(driver, lat, lon)
    browser.wait_for(driver, "return Bokeh.documents[0].get_model_by_name('series_1').data.value.length > 0",
                     30, "the series after the click")
    # the pixel clicked is the one asked for, and each file's series is that file's values there (mm)
    point = browser.source_data(driver, "point")
    assert open_product(noisy_pair[0]).grid.lalo_to_rowcol(point["y"][0], point["x"][0]) == (row, col)
    for i, path in enumerate(noisy_pair):
        r, c = open_product(path).grid.lalo_to_rowcol(point["y"][0], point["x"][0])
        shown = browser.source_data(driver, f"series_{i}")
        assert shown["date"] == file_dates(path)
        np.testing.assert_allclose(shown["value"], file_series(path, r, c) * 1e3, rtol=1e-12)
    rates = browser.source_data(driver, "rates")
    t = decimal_years(file_dates(noisy_pair[0]))
    y = file_series(noisy_pair[0], row, col)
    assert rates["rate"][0] == pytest.approx(polyfit_rate(t, y)[0] * 1e3, rel=1e-5)

    # the period typed in the inputs: the rate becomes polyfit's over the epochs inside it
    browser.set_model(driver, "start", "value", "20170601")
    browser.set_model(driver, "end", "value", "20180601")
    rates = browser.wait_for(driver, "const d = Bokeh.documents[0].get_model_by_name('rates').data; "
                             "return d.start.length && d.start[0] >= '20170601' && d.end[0] <= '20180601' && d;",
                             30, "the rates of the new period")
    dates = file_dates(noisy_pair[0])
    index = [k for k, d in enumerate(dates) if "20170601" <= d <= "20180601"]
    assert (rates["start"][0], rates["end"][0]) == (dates[index[0]], dates[index[-1]])
    slope, std = polyfit_rate(t[index], y[index])
    assert rates["rate"][0] == pytest.approx(slope * 1e3, rel=1e-5)
    assert rates["std"][0] == pytest.approx(std * 1e3, rel=1e-4)
    assert rates["count"][0] == len(index)
    # the slider moves with the inputs
    period = driver.execute_script("return Bokeh.documents[0].get_model_by_name('period').value")
    assert [browser_day(v) for v in period] == ["20170601", "20180601"]

    # the exports: written into the export folder, linked on the page, served under /exports/
    for button, suffix in (("export_csv", ".csv"), ("export_png", ".png"), ("export_map", ".png")):
        browser.press(driver, button)
        text = browser.wait_for(driver, "const t = Bokeh.documents[0].get_model_by_name('exports').text; "
                                f"return t.includes('{suffix}') && t.includes('{button[7:]}') && t;", 30, button)
        name = text.split("/exports/")[1].split('"')[0]
        written = _settings.export_dir / name
        with urllib.request.urlopen(url + "exports/" + name, timeout=30) as served:
            assert served.read() == written.read_bytes()
    table = list(csv.reader(open(_settings.export_dir / f"series_{export.point_name(*point_latlon(driver))}.csv")))
    values = {r[0]: float(r[2]) for r in table[1:] if r[2]}
    np.testing.assert_allclose([values[d] for d in file_dates(noisy_pair[0])], y * 1e3, atol=6e-5)

    # a GNSS station chosen: the point moves there; the dashed line has the station's velocity in each LOS. The
    # synthetic stations carry the true E/N/U velocity, so that is truth.h5's LOS velocity at the pixel, which is
    # referenced, plus the true LOS velocity of the reference pixel (LOS vector of DESIGN.md, written out here)
    sites = driver.execute_script("return Bokeh.documents[0].get_model_by_name('gnss').options")
    site = sites[1]
    browser.set_model(driver, "gnss", "value", site)
    browser.wait_for(driver, "return Bokeh.documents[0].get_model_by_name('gnss_0').data.time.length == 2 && "
                     "Bokeh.documents[0].get_model_by_name('gnss_1').data.time.length == 2", 30, "the GNSS lines")
    stations = read_stations(_settings.gnss)
    k = stations.site.index(site)
    point = browser.source_data(driver, "point")
    assert (point["y"][0], point["x"][0]) == pytest.approx((stations.lat[k], stations.lon[k]))
    for i, path in enumerate(noisy_pair):
        line, series = browser.source_data(driver, f"gnss_{i}"), browser.source_data(driver, f"series_{i}")
        t = dict(zip(series["time"], series["t"], strict=True))
        slope = (line["value"][1] - line["value"][0]) / (t[line["time"][1]] - t[line["time"][0]])
        truth, product = open_product(path.parent / "truth.h5"), open_product(path)
        r, c = truth.grid.lalo_to_rowcol(stations.lat[k], stations.lon[k])
        r0, c0 = truth.grid.lalo_to_rowcol(float(product.attrs["REF_LAT"]), float(product.attrs["REF_LON"]))
        inc, az = (np.deg2rad(product.read(n)[r0, c0]) for n in ("incidenceAngle", "azimuthAngle"))
        east, north, up = (truth.read(n)[r0, c0] for n in ("east", "north", "up"))
        ref_los = -np.sin(inc) * np.sin(az) * east + np.sin(inc) * np.cos(az) * north + np.cos(inc) * up
        assert slope == pytest.approx((truth.read("los_velocity")[r, c] + ref_los) * 1e3, abs=0.01)

    # the screenshot: a PNG of the viewport, not blank (map colours, series, text)
    shot = browser.screenshot(driver, tmp_path / "tsview.png")
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    width, height = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    assert pixels.shape[:2] == (height, width)
    rgb = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 200 and rgb.std() > 20
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


def point_latlon(driver) -> tuple[float, float]:
    point = browser.source_data(driver, "point")
    return point["y"][0], point["x"][0]


def browser_day(ms: float) -> str:
    import datetime as dt

    return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)).strftime("%Y%m%d")

"""A headless Debian chromium driven by selenium, and the page helpers of the tsview browser tests.

The models of the page are read by name from ``Bokeh.documents[0]`` (see :mod:`mimtpy.viz.tsview.page`).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WINDOW = (1400, 1000)


def have_chromium() -> bool:
    return bool(CHROMIUM and CHROMEDRIVER)


def chromium_driver(window: tuple[int, int] = WINDOW):
    """A headless chromium of the system (never a downloaded one) with a ``window`` sized viewport."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", f"--window-size={window[0]},{window[1]}", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_window_size(*window)
    driver.set_script_timeout(30)
    return driver


def wait_for(driver, script: str, timeout: float = 60.0, what: str = ""):
    """Run ``script`` (JavaScript returning a value) until it returns something truthy; that value."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = driver.execute_script(script)
        except Exception as err:                 # page not ready yet (Bokeh not loaded)
            last = err
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.2)
    raise TimeoutError(f"page: {what or script} not ready after {timeout} s (last: {last!r})")


MODEL = "return Bokeh.documents[0].get_model_by_name('{}')"


def source_data(driver, name: str) -> dict:
    """The columns of a named ColumnDataSource as lists."""
    return driver.execute_script(
        "const d = Bokeh.documents[0].get_model_by_name(arguments[0]).data; const out = {};"
        "for (const k of Object.keys(d)) { out[k] = Array.from(d[k]); } return out;", name)


def wait_for_map(driver, timeout: float = 90.0) -> None:
    """Until the map image is drawn on the page."""
    wait_for(driver, "return window.Bokeh && Bokeh.documents.length > 0 && "
                     "Bokeh.documents[0].get_model_by_name('map_image') && "
                     "Bokeh.documents[0].get_model_by_name('map_image').data.image.length > 0 && "
                     "Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name('map')) != null", timeout, "the map")
    time.sleep(0.5)


def map_frame(driver) -> dict:
    """Where the map's data frame is in the viewport (CSS px) and its ranges (lon/lat)."""
    return driver.execute_script("""
        const m = Bokeh.documents[0].get_model_by_name('map');
        const v = Bokeh.index.find_one(m);
        const r = v.canvas_view.el.getBoundingClientRect();
        const bb = v.frame.bbox;
        return {left: r.left + bb.left, top: r.top + bb.top, width: bb.width, height: bb.height,
                x0: m.x_range.start, x1: m.x_range.end, y0: m.y_range.start, y1: m.y_range.end};""")


def click_map(driver, lat: float, lon: float) -> tuple[int, int]:
    """A real mouse click on the map at (lat, lon); returns the viewport position clicked."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    f = map_frame(driver)
    x = f["left"] + (lon - f["x0"]) / (f["x1"] - f["x0"]) * f["width"]
    y = f["top"] + (f["y1"] - lat) / (f["y1"] - f["y0"]) * f["height"]
    actions = ActionChains(driver)
    builder = ActionBuilder(driver)
    builder.pointer_action.move_to_location(round(x), round(y))
    builder.pointer_action.click()
    builder.perform()
    actions.reset_actions()
    return round(x), round(y)


def set_model(driver, name: str, attr: str, value) -> None:
    """Set a property of a named model in the page (as a widget would; synced to the server)."""
    driver.execute_script("Bokeh.documents[0].get_model_by_name(arguments[0])[arguments[1]] = arguments[2];",
                          name, attr, value)


def press(driver, name: str) -> None:
    """Click the HTML button of a named Bokeh Button (inside its view's shadow DOM)."""
    driver.execute_script("""
        const v = Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name(arguments[0]));
        (v.shadow_el || v.el.shadowRoot || v.el).querySelector('button').click();""", name)


def screenshot(driver, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))
    return out

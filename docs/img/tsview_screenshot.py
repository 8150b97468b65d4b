"""Draw docs/img/tsview.png: the tsview page on two synthetic tracks in headless chromium (run once, by hand).

    PYTHONPATH=. python docs/img/tsview_screenshot.py

Needs Debian's chromium and chromium-driver and selenium (the test extra).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mimtpy.viz.tsview.server import ViewerServer  # noqa: E402
from mimtpy.viz.tsview.viewer import Viewer, ViewerSettings  # noqa: E402
from tests import browser  # noqa: E402
from tests.conftest import make_products  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = make_products(folder, tracks="asc, desc", fault="34.2 -118.15 120 0.02 8", noise="0.003",
                              atmosphere="0.004", holes="0.03")
        scene = paths[0].parents[2]
        settings = ViewerSettings(tuple(paths), fault=scene / "fault_trace.gmt", gnss=scene / "gnss.csv",
                                  export_dir=folder / "exports")
        server = ViewerServer(Viewer(settings), port=0)
        url = server.start()
        driver = browser.chromium_driver((1400, 960))
        try:
            driver.get(url)
            browser.wait_for_map(driver)
            browser.click_map(driver, 34.1625, -118.1645)
            browser.wait_for(driver, "return Bokeh.documents[0].get_model_by_name('series_0').data.value.length")
            browser.set_model(driver, "start", "value", "20170601")
            browser.wait_for(driver, "return Bokeh.documents[0].get_model_by_name('rates').data.start[0] >= '20170601'")
            time.sleep(1.5)
            browser.screenshot(driver, ROOT / "docs" / "img" / "tsview.png")
        finally:
            driver.quit()
            server.stop()
    print(ROOT / "docs" / "img" / "tsview.png")


if __name__ == "__main__":
    main()

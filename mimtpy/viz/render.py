"""One product to its map files, with the backend the style asks for (matplotlib or PyGMT)."""

from __future__ import annotations

import logging
from pathlib import Path

from mimtpy.io import open_product
from mimtpy.viz.maps import MapStyle, gnss_scatter, make_figure, map_data, save_figure, write_kmz

logger = logging.getLogger(__name__)


def plot_product(path: Path, cfg: MapStyle, out: Path) -> list[Path]:
    """Map of a product with the chosen backend (+ GNSS scatter and KMZ when asked); StaMPS points (.xy) are drawn
    as points (matplotlib), GNSS compared with the points themselves (:func:`mimtpy.viz.points.plot_points`)."""
    if path.suffix.lower() == ".xy" and cfg.backend == "matplotlib" and not cfg.kmz:
        from mimtpy.viz.points import plot_points

        return plot_points(path, cfg, out)
    product = open_product(path)
    written = []
    if cfg.backend == "pygmt":
        from mimtpy.viz.gmt import plot_product_gmt

        written.append(plot_product_gmt(product, cfg, out))
        data = map_data(product, cfg.type, cfg.zero_mask)
    else:
        fig, _ax, data = make_figure(product, cfg)
        save_figure(fig, out, cfg)
        written.append(out)
    if cfg.gnss and cfg.gnss_mode in ("los", "both") and data.crs == "geographic":   # GNSS positions are lon/lat
        written += gnss_scatter(product, data, cfg, out.with_name(f"{out.stem}_gnss.{cfg.format}"))
    if cfg.kmz and data.crs != "geographic":
        logger.warning("%s: a KMZ overlay needs a lon/lat grid; this map is %s: no KMZ written", path, data.crs)
    elif cfg.kmz:
        written.append(write_kmz(product, data, cfg, out.with_suffix(".kmz")))
    return written

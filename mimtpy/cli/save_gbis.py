"""save_gbis.py: gbis export; see :mod:`mimtpy.preprocess.gbis`."""

from __future__ import annotations

import sys

from mimtpy.cli._export import export_script

EXAMPLE = """examples:
  save_gbis.py S1_IW12_128.he5 --date 20171117_20180603 --outdir gbis --outname ifg
  save_gbis.py velocity.h5 --geometry geometryGeo.h5 --snwe 34.0 34.3 -118.3 -118.0 --outdir gbis --outname vel
"""

build_parser, main = export_script(
    "save_gbis.py",
    "gbis",
    EXAMPLE,
    quadtree=True)

if __name__ == "__main__":
    sys.exit(main())

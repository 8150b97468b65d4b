"""save_roipac.py: roipac export; see :mod:`mimtpy.preprocess.roipac`."""

from __future__ import annotations

import sys

from mimtpy.cli._export import export_script

EXAMPLE = """examples:
  save_roipac.py S1_IW12_128.he5 --date 20171117_20180603 --outdir roipac --outname ifg
  save_roipac.py velocity.h5 --geometry geometryGeo.h5 --snwe 34.0 34.3 -118.3 -118.0 --outdir roipac --outname vel
"""

build_parser, main = export_script(
    "save_roipac.py",
    "roipac",
    EXAMPLE,
    quadtree=False)

if __name__ == "__main__":
    sys.exit(main())

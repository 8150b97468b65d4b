"""generate_horzvert.py: horizontal and vertical motion from two or more tracks."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  generate_horzvert.py AT100/mintpy/velocity/velocity_*.h5 DT151/mintpy/velocity/velocity_*.h5 --outdir hv
  generate_horzvert.py SynthSenAT100 SynthSenDT151 --referencepoint 34.1 -118.2 --azimuth -90
  generate_horzvert.py asc_vel.tif desc_vel.tif --enu a_E.tif a_N.tif a_U.tif , d_E.tif d_N.tif d_U.tif
  generate_horzvert.py asc.he5 desc.he5 --north gnss.csv                 # east, north and up
  generate_horzvert.py asc.he5 desc.he5 --timeseries yes                 # displacement time series
  generate_horzvert.py A1 A2 D1 D2 --gnss gnss.csv --tie-model auto --outdir hv   # N frames tied to GNSS: E, N, U
"""


def _enu_groups(args, values: dict) -> None:
    if "enu" in values:   # tracks separated by a lone comma on the command line
        values["enu"] = ", ".join(g.strip() for g in " ".join(args.enu).split(",") if g.strip())


build_parser, main = section_script(
    "generate_horzvert.py", "horzvert", EXAMPLE,
    ("tracks", "+", "two or more track products (or project folders/names)"),
    adjust=_enu_groups)

if __name__ == "__main__":
    sys.exit(main())

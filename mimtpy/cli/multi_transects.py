"""multi_transects.py: profiles across a fault (or between two points) through one or more products."""

from __future__ import annotations

import sys

from mimtpy.analysis import transects
from mimtpy.cli.common import section_script
from mimtpy.config import TransectsConfig
from mimtpy.context import RunContext

EXAMPLE = """examples:
  multi_transects.py hz.h5 up.h5 --fault fault_trace.gmt --number 5 --length 30 --width 2 --binSize 0.5
  multi_transects.py velocity.h5 --start 34.0 -118.2 --end 34.3 -118.2 --gnss gnss.csv
"""

build_parser, main = section_script(
    "multi_transects.py", TransectsConfig, transects.__doc__.split("\n\n")[0], EXAMPLE,
    ("files", "+", "products to profile"),
    lambda cfg, args, cwd: transects.run(cfg, RunContext(cwd)))

if __name__ == "__main__":
    sys.exit(main())

"""multi_transects.py: profiles across a fault (or between two points) through one or more products."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  multi_transects.py hz.h5 up.h5 --fault fault_trace.gmt --number 5 --length 30 --width 2 --bin-size 0.5
  multi_transects.py velocity.h5 --start 34.0 -118.2 --end 34.3 -118.2 --gnss gnss.csv
"""

build_parser, main = section_script("multi_transects.py", "transects", EXAMPLE, ("files", "+", "products to profile"))

if __name__ == "__main__":
    sys.exit(main())

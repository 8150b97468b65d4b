"""subtract_h5.py: difference of two products, optional ramp removal; see :mod:`mimtpy.preprocess.subtract`."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  subtract_h5.py velocity_asc.h5 model_los.h5 --outdir residual
  subtract_h5.py S1_a.he5 S1_b.he5 --date 20170103_20181224 --ramp linear --outname diff
"""

build_parser, main = section_script(
    "subtract_h5.py", "subtract", EXAMPLE, ("files", 2, "first and second product (residual = first - second)"))

if __name__ == "__main__":
    sys.exit(main())

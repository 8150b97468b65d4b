"""H5UNW_to_geotiff.py: any dataset of an .h5/.he5/.unw (or GeoTIFF) to GeoTIFF, with unit conversion."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.cli.common import add_common_arguments, check_writable, context_from_args, report, script_main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="H5UNW_to_geotiff.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Any 2-D dataset (or one epoch) of a product to GeoTIFF, with unit conversion: m, cm, mm, "
                    "their rates, and radians <-> LOS displacement with the radar wavelength.",
        epilog="examples:\n  H5UNW_to_geotiff.py velocity.h5 --dataset velocityStd --unit mm/year\n"
               "  H5UNW_to_geotiff.py filt_20180106-20180130.unw --unit m -o disp.tif\n"
               "  H5UNW_to_geotiff.py S1_*.he5 --dataset timeseries --date 20180601 --unit cm\n"
               "  H5UNW_to_geotiff.py ifg_unw.tif --unit mm --wavelength 0.0555")
    parser.add_argument("file", help="product to convert: MintPy .h5, HDF-EOS5, ROI_PAC .unw/.int/.cor, GeoTIFF, ...")
    parser.add_argument("--dataset", help="dataset name (default: the main one)")
    parser.add_argument("--unit", help="output unit: m, cm, mm, m/year, cm/year, mm/year, radian (default: as stored)")
    parser.add_argument("--wavelength", type=float, help="radar wavelength in m (default: WAVELENGTH attribute)")
    parser.add_argument("--date", help="epoch YYYYMMDD of a time series")
    parser.add_argument("-o", "--output", help="output GeoTIFF (default: <file>_<dataset>.tif beside the input)")
    add_common_arguments(parser)
    return parser


def _work(args: argparse.Namespace) -> int:
    from mimtpy.tools import convert

    if args.output:
        check_writable(context_from_args(args, Path.cwd()), "H5UNW_to_geotiff.py: --output",
                       Path(args.output).absolute().parent)
    else:
        check_writable(context_from_args(args, Path.cwd()), "H5UNW_to_geotiff.py", Path(args.file).absolute().parent)
    out = convert.to_geotiff(Path(args.file), args.dataset, Path(args.output) if args.output else None,
                             args.unit, args.wavelength, args.date)
    report(out)
    return 0


main = script_main(build_parser, _work)


if __name__ == "__main__":
    sys.exit(main())

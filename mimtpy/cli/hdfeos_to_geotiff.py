"""HDFEOS_to_geotiff.py: velocity, displacement or any 2-D dataset of a product to .h5 + GeoTIFF."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy import steps
from mimtpy.api import check_plan, run_step
from mimtpy.basic.velcumu import ATTRIBUTES, VelcumuConfig
from mimtpy.cli.common import (
    add_common_arguments,
    add_compute_arguments,
    check_writable,
    config_from_args,
    context_from_args,
    report,
    script_main,
    section_help,
)

EXAMPLE = """examples:
  HDFEOS_to_geotiff.py S1_IW123_100_0001_0001_20170103_20191219.he5 velocity
  HDFEOS_to_geotiff.py S1_*.he5 displacement --date 20180101_20190101 --mask --outdir ./disp
  HDFEOS_to_geotiff.py S1_*.he5 velocity --bbox 34.1 34.4 -118.2 -117.9 --ref-lalo 34.2 -118.1
  HDFEOS_to_geotiff.py S1_*.he5 geometry
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="HDFEOS_to_geotiff.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Velocity or displacement over a period, or a 2-D dataset, of an HDF-EOS5 / MintPy "
                    "product, written as MintPy .h5 and GeoTIFF.",
        epilog=EXAMPLE + "\n" + section_help(VelcumuConfig))
    parser.add_argument("file", help="HDF-EOS5 (.he5) or MintPy timeseries/geometry .h5 file")
    parser.add_argument("attribute", choices=ATTRIBUTES, help="what to write")
    parser.add_argument("--date", metavar="D1_D2", help="period YYYYMMDD_YYYYMMDD (default: whole series)")
    parser.add_argument("--mask", nargs="?", const="yes", default="no", metavar="FILE",
                        help="mask with the product's mask, or with FILE (non-zero = valid)")
    parser.add_argument("--bbox", nargs=4, type=str, metavar=("S", "N", "W", "E"), help="subset in degrees")
    parser.add_argument("--ref-lalo", nargs=2, metavar=("LAT", "LON"), help="re-reference to this point")
    parser.add_argument("--min-epochs", default=None, help="fewest valid epochs for a velocity (default 3)")
    parser.add_argument("--no-geotiff", action="store_true", help="write only the .h5 file")
    parser.add_argument("--outdir", help="output folder (default <project>/mintpy/<attribute>/)")
    add_compute_arguments(parser)
    add_common_arguments(parser)
    return parser


def _work(args: argparse.Namespace) -> int:
    start = end = None
    if args.date:
        start, _, end = args.date.partition("_")
    cwd = Path.cwd()
    cfg = config_from_args(VelcumuConfig, {
        "dataset": args.file,
        "type": args.attribute if args.attribute in ("velocity", "displacement") else None,
        "snwe": " ".join(args.bbox) if args.bbox else None,
        "start_date": start, "end_date": end or None,
        "mask": args.mask,
        "reference_point": " ".join(args.ref_lalo) if args.ref_lalo else None,
        "min_epochs": args.min_epochs,
        "geotiff": "no" if args.no_geotiff else None,
        "outdir": args.outdir,
    }, cwd)
    from mimtpy.basic import products
    from mimtpy.ops.paths import resolve_dataset

    path = resolve_dataset(args.file, cwd)
    ctx = context_from_args(args, cwd)
    if args.attribute in ("velocity", "displacement"):
        spec = steps.get("velcumu")
        check_plan(spec, cfg, ctx, "HDFEOS_to_geotiff.py")    # every problem before any work
        written = run_step(spec, cfg, ctx, lambda: products.process(path, args.attribute, cfg, ctx, cfg.outdir))
    else:
        check_writable(ctx, "HDFEOS_to_geotiff.py: --outdir", cfg.outdir or path.parent / args.attribute)
        written = products.export_dataset(path, args.attribute, cfg)
    report(*written)
    return 0


main = script_main(build_parser, _work)


if __name__ == "__main__":
    sys.exit(main())

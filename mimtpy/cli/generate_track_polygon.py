"""generate_track_polygon.py: footprint polygon of a product (GeoJSON, shapefile, KML, GMT text)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.cli.common import add_common_arguments, check_writable, context_from_args, report, script_main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="generate_track_polygon.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The outline of a product's data (or its grid, or its radar frame corners) as a polygon "
                    "in GeoJSON, shapefile, KML or GMT text.",
        epilog="examples:\n  generate_track_polygon.py S1_IW123_100_*.he5 -o AT100.geojson\n"
               "  generate_track_polygon.py velocity.h5 --method grid -o box.kml\n"
               "  generate_track_polygon.py velocity.h5 -o AT100.shp -o AT100.gmt")
    parser.add_argument("file", help="product (.he5, .h5, GeoTIFF, ROI_PAC)")
    parser.add_argument("--method", choices=("data", "grid", "attributes"), default="data",
                        help="outline of the valid data (default), the grid box, or the scene corners LAT/LON_REF1..4")
    parser.add_argument("-o", "--output", action="append", required=True,
                        help="output file(s); format by suffix: .geojson .json .shp .kml .gmt .txt")
    add_common_arguments(parser)
    return parser


def _work(args: argparse.Namespace) -> int:
    path = Path(args.file)
    from mimtpy.io import open_product
    from mimtpy.tools import footprint

    check_writable(context_from_args(args, Path.cwd()), "generate_track_polygon.py: --output",
                   *(Path(out).absolute().parent for out in args.output))
    product = open_product(path)
    geom = footprint.footprint(product, args.method)
    for out in args.output:
        report(footprint.write_footprint(geom, Path(out), footprint.track_label(product)))
    return 0


main = script_main(build_parser, _work)


if __name__ == "__main__":
    sys.exit(main())

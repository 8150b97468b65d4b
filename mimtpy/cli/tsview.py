"""tsview.py: a time-series viewer in the browser (click a pixel, see its history)."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  tsview.py S1_IW12_128_0593_0597_20141213_20191211.he5
  tsview.py timeseries.h5 --start-date 20180101 --end-date 20191231 --vlim -20 20 --port 5010 --no-browser
  tsview.py SenAT124/mintpy/S1*.he5 SenDT87/mintpy/S1*.he5 --faults faults.shp --gnss midas.IGS14.txt
  tsview.py east_timeseries.h5 up_timeseries.h5 --type displacement --dem dem.tif

The page is served on 127.0.0.1 only; from another machine forward the port:
  ssh -N -L 5006:127.0.0.1:5006 user@server     then open http://127.0.0.1:5006/ locally.
Stop with Ctrl-C.
"""


def _extra(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--open", dest="browser", action="store_const", const="yes",
                       help="open the page in the default web browser (default)")
    group.add_argument("--no-browser", dest="browser", action="store_const", const="no",
                       help="only print the URL")
    parser.add_argument("--faults", dest="faults", metavar="FILE", help="same as --fault")


def _adjust(args, values: dict) -> None:
    if args.browser:
        values["open_browser"] = args.browser
    if args.faults:
        values["fault"] = args.faults


def _serve(cfg, args, ctx):
    from mimtpy.tools.view import serve

    return serve(cfg, ctx, ready=lambda url: print(f"tsview: serving {url} (Ctrl-C to stop)", flush=True))


build_parser, main = section_script(
    "tsview.py", "view", EXAMPLE, ("files", "+", "products to show (HDF-EOS5, timeseries.h5, cubes, maps)"),
    run=_serve, skip=("dataset", "open_browser"), extra=_extra, adjust=_adjust,
    description="Time-series viewer in the browser: a map of velocity or displacement; click a pixel (or type "
                "lat/lon) to see the series of every file there with its rate over the chosen period.")

if __name__ == "__main__":
    sys.exit(main())

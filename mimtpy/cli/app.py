"""mimtpyApp.py: run the enabled steps of a template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy import steps
from mimtpy.cli.common import add_common_arguments, report, run_cli, setup_logging

EXAMPLE = """examples:
  mimtpyApp.py project.template                 # run every enabled step
  mimtpyApp.py project.template --dry-run       # check the template, list inputs and outputs
  mimtpyApp.py project.template --dostep velcumu
  mimtpyApp.py project.template --start velcumu --end plot
  mimtpyApp.py -H                               # the documented default template
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimtpyApp.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"Run the enabled steps of a mimtpy template. Steps, in order: {', '.join(steps.names())}.",
        epilog=EXAMPLE)
    parser.add_argument("template", nargs="?", help="template file (key = value lines)")
    parser.add_argument("-H", dest="print_template", action="store_true", help="print the default template and exit")
    parser.add_argument("--dostep", metavar="STEP", help="run only this step (one of the steps above)")
    parser.add_argument("--start", metavar="STEP", help="start at this step")
    parser.add_argument("--end", metavar="STEP", help="end after this step")
    parser.add_argument("--dry-run", action="store_true", help="check the template and print the plan; write nothing")
    add_common_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.print_template:
        from mimtpy.docgen import render_default_template

        sys.stdout.write(render_default_template())
        return 0
    if not args.template:
        build_parser().error("a template file is required (or -H for the default template)")
    template = Path(args.template).expanduser()

    def body() -> int:
        setup_logging(args.verbose, args.quiet, None)
        from mimtpy.app import MimtpyApp

        app = MimtpyApp(template, force=args.force)
        steps = app.check(dostep=args.dostep, start=args.start, end=args.end)
        if args.dry_run:
            return 0
        setup_logging(args.verbose, args.quiet, app.template.project_dir)    # the log beside the template
        outputs = app.execute(steps)
        report(f"mimtpy: done, {len(outputs)} output file(s); work directory: {app.template.project_dir}",
               *(f"  {path}" for path in outputs))
        return 0

    return run_cli(body, args.verbose)


if __name__ == "__main__":
    sys.exit(main())

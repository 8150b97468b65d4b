"""Shared plumbing of the command-line scripts: logging set-up and clean error exits."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from mimtpy import __version__
from mimtpy.config import SectionConfig, parse_value
from mimtpy.errors import MimtpyError, TemplateError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output (debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    parser.add_argument("--version", action="version", version=f"mimtpy {__version__}")


def setup_logging(verbose: bool, quiet: bool, log_dir: Path | None) -> None:
    """Console logging at the chosen level, plus ``<log_dir>/mimtpy.log`` (always debug)."""
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_dir / "mimtpy.log")
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    for noisy in ("matplotlib", "PIL", "rasterio", "h5py"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_cli(body: Callable[[], int]) -> int:
    """Run a script body; MimtpyErrors become a message on stderr and exit code 2 (template/usage) or 1."""
    try:
        return body()
    except TemplateError as err:
        print("mimtpy: the template has problems:" if len(err.problems) > 1 else "mimtpy: error:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except MimtpyError as err:
        print(f"mimtpy: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mimtpy: interrupted; finished outputs are kept, unfinished ones were removed", file=sys.stderr)
        return 130


def section_help(section: type[SectionConfig]) -> str:
    """The template keys of a section, for a script's --help epilog."""
    lines = [f"template keys (mimtpy.{section.SECTION}.*):"]
    for _name, meta in section.options():
        lines.append(f"  {meta['key']:<16} = {meta['text']:<12} {meta['help']}")
    return "\n".join(lines)


def config_from_args(section: type[SectionConfig], values: dict[str, str | None], base: Path):
    """Build a section config from script options given as template text (None = default)."""
    kwargs, problems = {}, []
    for name, meta in section.options():
        text = values.get(name)
        try:
            kwargs[name] = parse_value(meta, meta["text"] if text is None else text, base)
        except MimtpyError as err:
            problems.append(f"--{meta['key']}: {err}")
    if problems:
        raise TemplateError(problems)
    return section(**kwargs)


def add_section_options(parser: argparse.ArgumentParser, section: type[SectionConfig],
                        skip: tuple[str, ...] = ()) -> None:
    """One ``--<key>`` option per template key of ``section`` (values as in a template)."""
    for name, meta in section.options():
        if name not in skip:
            parser.add_argument(f"--{meta['key']}", dest=name, nargs="+", metavar="VALUE",
                                help=f"{meta['help']} (default: {meta['text']})")


def section_values(args: argparse.Namespace, section: type[SectionConfig]) -> dict[str, str]:
    """Template text of the ``--<key>`` options that were given."""
    values = {}
    for name, meta in section.options():
        given = getattr(args, name, None)
        if isinstance(given, list):   # options made by add_section_options (others may share a name)
            values[name] = (", " if meta["kind"] in ("words", "paths") else " ").join(given)
    return values

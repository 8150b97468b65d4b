"""Shared plumbing of the command-line scripts: options from config models, logging set-up and clean error exits."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from mimtpy import __version__, steps
from mimtpy.api import run_config
from mimtpy.config import ComputeConfig, SectionConfig
from mimtpy.context import RunContext
from mimtpy.errors import MimtpyError, TemplateError
from mimtpy.template import config_from_values, parse_value

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
    except OSError as err:           # a file or folder the system refuses (permissions, disk full, ...)
        print(f"mimtpy: error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mimtpy: interrupted; finished outputs are kept, unfinished ones were removed", file=sys.stderr)
        return 130


def script_main(build_parser: Callable[[], argparse.ArgumentParser],
                work: Callable[[argparse.Namespace], int]) -> Callable[[list[str] | None], int]:
    """The ``main(argv)`` of a script: parse, set up console logging, run ``work(args)`` with clean errors."""
    def main(argv: list[str] | None = None) -> int:
        args = build_parser().parse_args(argv)
        setup_logging(args.verbose, args.quiet, None)
        return run_cli(lambda: work(args))

    return main


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
                                help=f"{meta['help']} (default: {meta['text']})".replace("%", "%%"))


def section_values(args: argparse.Namespace, section: type[SectionConfig]) -> dict[str, str]:
    """Template text of the ``--<key>`` options that were given."""
    values = {}
    for name, meta in section.options():
        given = getattr(args, name, None)
        if isinstance(given, list):   # options made by add_section_options (others may share a name)
            values[name] = (", " if meta["kind"] in ("words", "paths") else " ").join(given)
    return values


def add_compute_arguments(parser: argparse.ArgumentParser) -> None:
    """--max-memory, --num-worker, --cluster (the keys of mimtpy.compute) and --force."""
    group = parser.add_argument_group("resources (mimtpy.compute.*)")
    for name, meta in ComputeConfig.options():
        flag = {"max_memory": "--max-memory", "num_worker": "--num-worker", "cluster": "--cluster"}[name]
        group.add_argument(flag, dest=f"compute_{name}", metavar="VALUE",
                           help=f"{meta['help']} (default: {meta['text']})".replace("%", "%%"))
    parser.add_argument("--force", action="store_true", help="recompute even when the outputs are up to date")


def context_from_args(args: argparse.Namespace, cwd: Path) -> RunContext:
    """The run context of a script: the current folder, the --max-memory/--num-worker/--cluster
    options (validated like mimtpy.compute keys) and --force."""
    values = {name: getattr(args, f"compute_{name}") for name, _m in ComputeConfig.options()
              if getattr(args, f"compute_{name}", None) is not None}
    compute = config_from_values(ComputeConfig, values, cwd, "options")
    return RunContext(cwd, compute=compute, force=bool(getattr(args, "force", False)))


def section_script(prog: str, step_name: str, epilog: str, positional: tuple[str, str | int, str],
                   run: Callable[[SectionConfig, argparse.Namespace, RunContext], list[Path]] | None = None,
                   skip: tuple[str, ...] = ("dataset",), extra: Callable[[argparse.ArgumentParser], None] | None = None,
                   adjust: Callable[[argparse.Namespace, dict], None] | None = None, description: str | None = None):
    """(build_parser, main) of a script whose options are the template keys of step ``step_name``.

    ``positional`` = (name, nargs, help) of the files, which become the section's DataSet;
    ``extra`` adds script-only options; ``adjust`` edits the template values before parsing;
    ``run(cfg, args, ctx)`` does the work (default: the step's plan and run, as the App does) and
    returns the files written (printed one per line).
    """
    spec = steps.get(step_name)
    section = spec.config

    def build_parser() -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
                                         description=description or f"{section.HELP}.", epilog=epilog)
        parser.add_argument(positional[0], nargs=positional[1], help=positional[2])
        add_section_options(parser, section, skip=skip)
        if extra:
            extra(parser)
        add_compute_arguments(parser)
        add_common_arguments(parser)
        return parser

    def work(args: argparse.Namespace) -> int:
        cwd = Path.cwd()
        values = {**section_values(args, section), "dataset": ", ".join(getattr(args, positional[0]))}
        if adjust:
            adjust(args, values)
        cfg = config_from_args(section, values, cwd)
        ctx = context_from_args(args, cwd)
        outputs = run(cfg, args, ctx) if run else run_config(spec, cfg, ctx, prog)
        for out in outputs:
            print(out)
        return 0

    return build_parser, script_main(build_parser, work)

"""Shared plumbing of the command-line scripts: options from config models, logging set-up and clean error exits."""

from __future__ import annotations

import argparse
import copy
import logging
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from mimtpy import __version__, steps
from mimtpy.api import check_plan, run_step
from mimtpy.config import ComputeConfig, SectionConfig
from mimtpy.context import LOG_FILE_ONLY, Plan, RunContext, writable_problem
from mimtpy.errors import MimtpyError, TemplateError
from mimtpy.template import LIST_KINDS, config_from_values, parse_value

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: name of the App's log file (beside the template)
LOG_NAME = "mimtpy.log"
#: kinds whose values are a list on the command line (nargs="+", or ``count`` values where it is fixed)
FIXED_COUNT = {"snwe": ("S", "N", "W", "E"), "latlon": ("LAT", "LON")}
METAVAR = {"int": "INT", "float": "NUM", "date": "YYYYMMDD", "str": "TEXT", "path": "PATH", "paths": "PATH",
           "words": "WORD", "floats": "NUM", "bool": "{yes,no}", "bool_or_path": "{yes,no,FILE}"}
_state = {"quiet": False}
logger = logging.getLogger(__name__)


def option_flag(key: str) -> str:
    """The command-line flag of a template key: MintPy's kebab case (``startDate`` -> ``--start-date``,
    ``maxMemory`` -> ``--max-memory``, ``SNWE`` -> ``--snwe``; one-word keys stay as they are)."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", key)
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "-", text)
    return "--" + text.lower()


def help_text(text: str) -> str:
    """A help text as argparse prints it: no RST backticks, ``%`` escaped."""
    return text.replace("``", "'").replace("`", "'").replace("%", "%%")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Raw description/epilog; an option's camelCase aliases (``hidden_aliases``) are accepted but not listed."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        hidden = getattr(action, "hidden_aliases", ())
        if hidden:
            action = copy.copy(action)
            action.option_strings = [s for s in action.option_strings if s not in hidden]
        return super()._format_action_invocation(action)


def add_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup, flag: str, *aliases: str,
               **kwargs) -> argparse.Action:
    """``parser.add_argument(flag, *aliases, ...)`` with the aliases (camelCase spellings kept for old
    scripts) accepted but hidden from ``--help``."""
    aliases = tuple(a for a in aliases if a != flag)
    action = parser.add_argument(flag, *aliases, **kwargs)
    action.hidden_aliases = aliases
    return action


def add_common_arguments(parser: argparse.ArgumentParser, force: bool = True) -> None:
    """-v/--verbose, -q/--quiet, --version and --force (every script has them); the help formatter that hides
    camelCase aliases."""
    parser.formatter_class = HelpFormatter
    if force:
        parser.add_argument("--force", action="store_true",
                            help="recompute even when the outputs are up to date (and overwrite them)")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output (debug), tracebacks")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    parser.add_argument("--version", action="version", version=f"mimtpy {__version__}")


def report(*lines: object) -> None:
    """Print results on stdout (the files written, a summary), unless the script runs with ``-q``."""
    if not _state["quiet"]:
        for line in lines:
            print(line)


class _ConsoleFilter(logging.Filter):
    """Records marked ``LOG_FILE_ONLY`` (an error already printed, a traceback) stay out of the console."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "mimtpy_file_only", False)


def setup_logging(verbose: bool, quiet: bool, log_dir: Path | None) -> Path | None:
    """Console logging at the chosen level, plus ``<log_dir>/mimtpy.log`` (always debug); returns the log file.

    When ``log_dir`` cannot be written (a read-only project folder), a warning says so and the run keeps no
    log file (None is returned): the log never stops a run that can write its outputs elsewhere."""
    root = logging.getLogger()
    for handler in root.handlers:
        handler.close()
    root.handlers.clear()
    root.setLevel(logging.DEBUG)
    _state["quiet"] = quiet
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.addFilter(_ConsoleFilter())
    root.addHandler(console)
    for noisy in ("matplotlib", "PIL", "rasterio", "h5py", "fontTools", "asyncio", "distributed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if log_dir is None:
        return None
    log_file = log_dir / LOG_NAME
    reason = writable_problem(log_dir)
    if reason is None:
        try:
            handler = logging.FileHandler(log_file)
        except OSError as err:
            reason = f"{err.strerror or err}"
        else:
            handler.setLevel(logging.DEBUG)
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            root.addHandler(handler)
            return log_file
    logger.warning("cannot write the log file %s (%s); this run keeps no log file", log_file, reason)
    return None


def log_file() -> Path | None:
    """The log file of this run, if any."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def run_cli(body: Callable[[], int], verbose: bool = False) -> int:
    """Run a script body; MimtpyErrors become a message on stderr and exit code 2 (template/usage) or 1.

    Every error is also written to the log file (when the run has one). An unexpected exception (a bug) is one
    line on the console; its traceback goes to the log file, and to the console with ``verbose``."""
    try:
        return body()
    except TemplateError as err:
        print("mimtpy: the template has problems:" if len(err.problems) > 1 else "mimtpy: error:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        logger.error("%s", "\n  ".join(["stopped:", *err.problems]), extra=LOG_FILE_ONLY)
        return 2
    except MimtpyError as err:
        print(f"mimtpy: error: {err}", file=sys.stderr)
        logger.error("stopped: %s", err, extra=LOG_FILE_ONLY)
        return 1
    except OSError as err:           # a file or folder the system refuses (permissions, disk full, ...)
        text = f"{err.strerror or err}: {err.filename or ''}".rstrip(": ")
        print(f"mimtpy: error: {text}", file=sys.stderr)
        logger.error("stopped: %s", text, extra=LOG_FILE_ONLY)
        return 1
    except KeyboardInterrupt:
        print("mimtpy: interrupted; finished outputs are kept, unfinished ones were removed", file=sys.stderr)
        logger.error("interrupted", extra=LOG_FILE_ONLY)
        return 130
    except Exception as err:        # a bug: one line here, the traceback in the log
        logger.error("unexpected error", exc_info=True, extra=LOG_FILE_ONLY)
        where = log_file()
        hint = f"the traceback is in {where}" if where else "run with -v for the traceback"
        print(f"mimtpy: unexpected error {type(err).__name__}: {err} ({hint}; please report it)", file=sys.stderr)
        if verbose:
            traceback.print_exc()
        return 3


def script_main(build_parser: Callable[[], argparse.ArgumentParser],
                work: Callable[[argparse.Namespace], int]) -> Callable[[list[str] | None], int]:
    """The ``main(argv)`` of a script: parse, set up console logging, run ``work(args)`` with clean errors."""
    def main(argv: list[str] | None = None) -> int:
        args = build_parser().parse_args(argv)
        setup_logging(args.verbose, args.quiet, None)
        return run_cli(lambda: work(args), args.verbose)

    return main


def section_help(section: type[SectionConfig]) -> str:
    """The template keys of a section, for a script's --help epilog."""
    lines = [f"template keys (mimtpy.{section.SECTION}.*):"]
    for _name, meta in section.options():
        lines.append(f"  {meta['key']:<16} = {meta['text']:<12} {help_text(meta['help']).replace('%%', '%')}")
    return "\n".join(lines)


def config_from_args(section: type[SectionConfig], values: dict[str, str | None], base: Path):
    """Build a section config from script options given as template text (None = default)."""
    kwargs, problems = {}, []
    for name, meta in section.options():
        text = values.get(name)
        try:
            kwargs[name] = parse_value(meta, meta["text"] if text is None else text, base)
        except MimtpyError as err:
            problems.append(f"{option_flag(meta['key'])}: {err}")
    if problems:
        raise TemplateError(problems)
    return section(**kwargs)


class _TemplateOption(argparse.Action):
    """Stores an option's value and records it as template text (``args._template_text[dest]``)."""

    def __init__(self, option_strings, dest, kind: str = "str", **kwargs):
        self.kind = kind
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        if isinstance(values, str):
            text = values
        else:
            text = (", " if self.kind in LIST_KINDS else " ").join(values)
        given = dict(getattr(namespace, "_template_text", None) or {})
        given[self.dest] = text
        namespace._template_text = given


class _TemplateOff(_TemplateOption):
    """``--no-<key>``: the template value ``none`` (a list of numbers switched off)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        super().__call__(parser, namespace, "none", option_string)


def add_section_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, section: type[SectionConfig],
                        skip: tuple[str, ...] = ()) -> None:
    """One option per template key of ``section`` (values as in a template).

    The flag is the key in kebab case (:func:`option_flag`; the camelCase key is a hidden alias). Scalars take
    one value; ``snwe``/``latlon`` and ``floats`` with a ``count`` take exactly that many (``floats`` also get
    ``--no-<flag>`` for the template's ``none``); other list kinds (``paths``, ``words``, ``floats``) one or more.
    Choices are listed in the metavar."""
    for name, meta in section.options():
        if name in skip:
            continue
        kind, count = meta["kind"], meta["count"]
        flag = option_flag(meta["key"])
        if kind in FIXED_COUNT:
            nargs, metavar = len(FIXED_COUNT[kind]), FIXED_COUNT[kind]
        elif kind == "floats" and count:
            nargs, metavar = count, tuple(["NUM"] * count)
        elif kind in ("paths", "words", "floats"):
            nargs, metavar = "+", METAVAR[kind]
        else:
            nargs, metavar = None, METAVAR.get(kind, "VALUE")
        if meta["choices"]:
            metavar = "{" + ",".join(meta["choices"]) + "}"
        extra = f"; {nargs} numbers" if kind == "floats" and count else ""
        action = add_option(parser, flag, f"--{meta['key']}", dest=name, nargs=nargs, metavar=metavar,
                            action=_TemplateOption, kind=kind,
                            help=help_text(f"{meta['help']} (default: {meta['text']}{extra})"))
        action.template_meta = meta
        if kind == "floats" and meta["text"].lower() not in ("none",):
            parser.add_argument(f"--no-{flag[2:]}", dest=name, action=_TemplateOff, kind=kind,
                                help=f"no {meta['key']} (the template value 'none')")


def section_values(args: argparse.Namespace, section: type[SectionConfig]) -> dict[str, str]:
    """Template text of the options made by :func:`add_section_options` that were given."""
    given = getattr(args, "_template_text", None) or {}
    return {name: given[name] for name, _meta in section.options() if name in given}


def add_compute_arguments(parser: argparse.ArgumentParser) -> None:
    """The keys of mimtpy.compute as --max-memory, --num-worker, --cluster."""
    group = parser.add_argument_group("resources (mimtpy.compute.*)")
    for name, meta in ComputeConfig.options():
        add_option(group, option_flag(meta["key"]), f"--{meta['key']}", dest=f"compute_{name}",
                   metavar=METAVAR.get(meta["kind"], "VALUE"),
                   help=help_text(f"{meta['help']} (default: {meta['text']})"))


def check_writable(ctx: RunContext, where: str, *folders: Path) -> None:
    """TemplateError naming every folder that cannot be written (scripts that write without a step plan)."""
    plan = Plan()
    for folder in folders:
        plan.writable(ctx, "", folder)
    if plan.problems:
        raise TemplateError([f"{where}: {message}" for _key, message in plan.problems])


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
        check_plan(spec, cfg, ctx, prog)                     # every problem before any work
        report(*run_step(spec, cfg, ctx, (lambda: run(cfg, args, ctx)) if run else None))
        return 0

    return build_parser, script_main(build_parser, work)

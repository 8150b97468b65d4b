"""What a step is and what it knows about the run it is part of.

A step is one module in its step package with a config model (:class:`mimtpy.config.SectionConfig`),
``plan(cfg, ctx) -> Plan`` and ``run(cfg, ctx) -> list[Path]``, declared once as
``STEP = Step(...)`` and listed once, in order, in :mod:`mimtpy.steps`. The App, the template
sections, ``defaults/mimtpyApp.cfg``, the docs and :func:`mimtpy.run` all derive from that list.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mimtpy.config import ComputeConfig, SectionConfig

logger = logging.getLogger(__name__)

#: module groups of the App, in the order MimtPy documents them
GROUPS = ("tools", "basic", "preprocess", "inversion", "analysis", "relax", "datacube")
#: ``extra`` of a log record that goes to the log file only (an error the console already shows, a traceback)
LOG_FILE_ONLY = {"mimtpy_file_only": True}


def writable_problem(folder: Path) -> str | None:
    """Why files cannot be created in ``folder`` (or, when it does not exist yet, in its nearest existing
    parent, where it would be made), or None when they can."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable" if probe == folder else f"{probe} is not writable, {folder} cannot be made"
    return None


@dataclass
class Plan:
    """What a step will read and write, and everything wrong with its settings, found before
    any step runs. ``problems`` are (template key or '', message) pairs; the App prefixes
    them with ``file:line: mimtpy.<section>.<key>``."""

    inputs: list[Path] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def need(self, ctx: RunContext, key: str, path: Path | None, what: str = "") -> bool:
        """Record ``path`` as an input if it exists or an earlier step makes it; else a problem."""
        if path is None:
            return False
        path = ctx.resolve(path)
        if ctx.exists(path):
            self.inputs.append(path)
            return True
        self.problem(key, f"{path} not found{f' ({what})' if what else ''}")
        return False

    def raise_problems(self, section: str, error: type[Exception] | None = None) -> None:
        """Raise the problems as ``mimtpy.<section>.<key>: message`` lines (a step's ``run`` called directly from
        Python checks its plan too): TemplateError with every line, or ``error`` with them joined."""
        from mimtpy.errors import TemplateError

        lines = [f"mimtpy.{section}.{key}: {message}" if key else message for key, message in self.problems]
        if lines:
            raise TemplateError(lines) if error is None else error("; ".join(lines))

    def datasets(self, ctx: RunContext, key: str, entries, at_least: int = 1) -> None:
        """Every DataSet entry found now (:func:`mimtpy.ops.paths.resolve_dataset`) or made by an earlier step;
        a problem for each that is not, and when there are fewer than ``at_least``."""
        from mimtpy.errors import InputError
        from mimtpy.ops.paths import resolve_dataset

        entries = list(entries or ())
        if len(entries) < at_least:
            self.problem(key, "no product given" if at_least == 1 else f"give {at_least} or more tracks")
        for entry in entries:
            path = ctx.resolve(entry)
            if ctx.is_planned(path):
                self.inputs.append(path)
                continue
            try:
                self.inputs.append(resolve_dataset(entry, ctx.project_dir))
            except InputError as err:
                self.problem(key, str(err))

    def period_in_series(self, ctx: RunContext, paths, start: str | None, end: str | None) -> None:
        """A problem naming startDate/endDate when either lies more than one acquisition interval outside the
        series of a time-series product of ``paths`` that exists now (its dates are read, nothing else;
        :func:`mimtpy.ops.velocity.select_period`)."""
        if not (start or end):
            return
        from mimtpy.errors import MimtpyError
        from mimtpy.io import open_product
        from mimtpy.ops.velocity import select_period

        for path in paths:
            if ctx.is_planned(path) or not Path(path).exists():
                continue
            try:
                product = open_product(path)
                if product.dates:
                    select_period(product.dates, start, end, str(path))
            except MimtpyError as err:
                text = str(err)
                key = "startDate" if "startDate" in text else "endDate" if "endDate" in text else "DataSet"
                self.problem(key, text)

    def writable(self, ctx: RunContext, key: str, folder: Path) -> None:
        """A problem when ``folder`` (or its nearest existing parent) cannot be written."""
        folder = Path(os.path.normpath(ctx.resolve(folder)))
        reason = writable_problem(folder)
        if reason is not None:
            self.problem(key, f"cannot write to {folder} ({reason})")

    def period(self, start: str | None, end: str | None, start_key: str = "startDate",
               end_key: str = "endDate") -> None:
        """A problem when the period ``start``..``end`` (YYYYMMDD, None = open) is empty: end on or before start.

        For a period given as one ``D1_D2`` value, pass its two halves and the same key twice."""
        if start and end and end <= start:
            where = end_key if end_key != start_key else start_key
            first = f"{start_key} " if end_key != start_key else ""
            self.problem(where, f"{end} is not after {first}{start}: the period is empty")

    def date_pair(self, key: str, text: str | None) -> tuple[str, str] | None:
        """``D1_D2`` (YYYYMMDD_YYYYMMDD; ``auto``/None = not given) as two dates; a problem for another form or
        an empty period."""
        raw = (text or "auto").strip()
        if raw.lower() in ("auto", "none", ""):
            return None
        parts = raw.replace("-", "_").split("_")
        if len(parts) != 2 or not all(len(p) == 8 and p.isdigit() for p in parts):
            self.problem(key, f"'{text}' is not D1_D2 (YYYYMMDD_YYYYMMDD)")
            return None
        self.period(parts[0], parts[1], key, key)
        return parts[0], parts[1]

    def check_options(self, ctx: RunContext, cfg: SectionConfig) -> None:
        """Problems every step shares, from its config model and plan: a ``bool_or_path`` key (``mask``) whose
        value is neither yes/no nor a file found (or made by an earlier step); the folder of every planned output
        writable (for a step whose plan did not check it with :meth:`writable`)."""
        if not any(m.startswith("cannot write to") for _k, m in self.problems):
            key = "outdir" if "outdir" in cfg.keys() else ""
            folders = [p if p.is_dir() or not p.suffix else p.parent for p in map(ctx.resolve, self.outputs)]
            for folder in dict.fromkeys(folders):
                self.writable(ctx, key, folder)
        for name, meta in cfg.options():
            value = getattr(cfg, name, None)
            if meta["kind"] == "bool_or_path" and isinstance(value, Path) and not ctx.exists(value):
                key = meta["key"].lower()       # this message replaces a step's own "not found" for the key
                self.problems = [(k, m) for k, m in self.problems if k.lower() != key]
                self.problem(meta["key"], f"'{value}' is neither yes/no nor an existing file")


@dataclass(frozen=True)
class Step:
    """One step of the App: its template section (``name``), module group, config model, plan and run.

    ``scripts`` are the console scripts that call it (MimtPy's names)."""

    name: str
    group: str
    config: type[SectionConfig]
    plan: Callable[[Any, RunContext], Plan]
    run: Callable[[Any, RunContext], list[Path]]
    scripts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"step {self.name}: group '{self.group}' is not one of {', '.join(GROUPS)}")
        if self.config.SECTION != self.name or not self.config.IS_STEP:
            raise ValueError(f"step {self.name}: its config model {self.config.__name__} is for section "
                             f"'{self.config.SECTION}'")
        if not callable(self.plan) or not callable(self.run):
            raise ValueError(f"step {self.name}: a step needs callable plan and run")


@dataclass
class RunContext:
    """Shared state of one App, script or :func:`mimtpy.run` call.

    ``produced`` collects the outputs of the steps run so far (the plot step draws them);
    ``planned`` the outputs that planned steps will make (so that later steps' inputs count as found);
    ``current`` the outputs found up to date (not rewritten).
    """

    project_dir: Path
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    force: bool = False
    produced: list[Path] = field(default_factory=list)
    planned: list[Path] = field(default_factory=list)
    current: list[Path] = field(default_factory=list)

    def resolve(self, path: str | Path) -> Path:
        """``path`` with ``~``/``$VARS`` expanded, relative to the project folder."""
        path = Path(os.path.expanduser(os.path.expandvars(str(path))))
        return path if path.is_absolute() else self.project_dir / path

    def is_planned(self, path: Path) -> bool:
        """Whether ``path`` is, or lies in, an output (file or folder) of a step planned before."""
        text = str(self.resolve(path).resolve())
        for out in self.planned:
            root = str(out.resolve())
            if text == root or text.startswith(root.rstrip("/") + "/"):
                return True
        return False

    def exists(self, path: Path) -> bool:
        return self.resolve(path).exists() or self.is_planned(path)

    def is_current(self, outputs: list[Path], inputs: list[Path], settings: dict, stamp: Path | None = None) -> bool:
        """True when every output exists, is newer than every input, and was made with ``settings``: stored as
        an attribute of the ``.h5`` outputs, or, when ``stamp`` is given, in that JSON record (figures, CSV, ...;
        written by :meth:`record`). Always False with ``force``. Outputs found current are noted in ``current``
        and their stale temporaries (:mod:`mimtpy.io.atomic`) removed."""
        from mimtpy.io import read_settings

        if self.force or not outputs or not all(p.exists() for p in outputs):
            return False
        newest_input = max((p.stat().st_mtime for p in inputs if p.exists()), default=0.0)
        if any(p.stat().st_mtime < newest_input for p in outputs):
            return False
        if stamp is not None:                   # the stamp holds the settings of every output
            if self.recorded(stamp, settings) is None:
                return False
        elif any(read_settings(p) != settings for p in outputs if p.suffix == ".h5"):
            return False
        from mimtpy.io.atomic import remove_stale_parts

        for path in outputs:
            remove_stale_parts(path)            # what a killed earlier run of this output left
        logger.debug("up to date, skipped: %s", ", ".join(p.name for p in outputs))
        self.current += [p for p in outputs if p not in self.current]
        return True

    @staticmethod
    def recorded(stamp: Path, settings: dict) -> list[Path] | None:
        """The outputs listed in ``stamp`` when it was written with ``settings``; None otherwise."""
        try:
            record = json.loads(stamp.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("settings") != settings:
            return None
        return [stamp.parent / name for name in record.get("outputs", [])]

    @staticmethod
    def record(stamp: Path, settings: dict, outputs: list[Path]) -> None:
        """Write ``stamp``: the settings ``outputs`` (files beside it) were made with, for :meth:`is_current`."""
        from mimtpy.io.atomic import atomic_output

        names = [os.path.relpath(p, stamp.parent) for p in outputs]
        with atomic_output(stamp) as tmp:
            tmp.write_text(json.dumps({"settings": settings, "outputs": names}, sort_keys=True, indent=1))

    @staticmethod
    def settings(cfg, **extra) -> dict:
        """JSON-normalised settings of a step (its config plus ``extra``), as stored in outputs."""
        raw = {**dataclasses.asdict(cfg), **extra}
        return json.loads(json.dumps(raw, sort_keys=True, default=str))

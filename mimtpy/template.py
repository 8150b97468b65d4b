"""Text -> typed values: ``key = value`` template files, script options and Python keywords.

Rules (DESIGN.md §2): keys are case-insensitive and start with ``mimtpy.``; ``#`` starts
a comment; ``$VARS`` and ``~`` expand in paths; yes/no/true/false/y/n and auto/none are
understood everywhere; an empty value means the default. Unknown keys, bad values and
duplicates are collected and raised together in one :class:`TemplateError`, each with
``file:line``, the key, the value, what is allowed and the nearest valid key.

This module knows the *kinds* of values (see :func:`parse_value`), not the sections: the
config models (:mod:`mimtpy.config`, one per step module) declare their keys, and the caller
(:mod:`mimtpy.app`) hands the registered sections to :func:`parse_template_text`. It imports
nothing heavy, so scripts start fast.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mimtpy.core.dates import parse_date
from mimtpy.errors import InputError, MimtpyError, TemplateError

TRUE = {"yes", "y", "true", "t", "on", "1"}
FALSE = {"no", "n", "false", "f", "off", "0"}
NONE = {"auto", "none", ""}
#: kinds whose text is a comma-separated list
LIST_KINDS = ("paths", "words")


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` (case-insensitive), if any is close."""
    low = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(word.lower(), list(low), n=1, cutoff=0.6)
    return low[match[0]] if match else None


def _floats(text: str, count: int | None, what: str) -> tuple[float, ...]:
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise InputError(f"'{text}' is not a list of numbers{f' ({what})' if what else ''}") from None
    if count is not None and len(values) != count:
        raise InputError(f"'{text}' has {len(values)} number(s), expected {count}{f' ({what})' if what else ''}")
    return values


def expand_path(text: str, base: Path | None) -> Path:
    """Expand ``~`` and ``$VARS`` (InputError for an unset variable); relative to ``base``
    (kept relative when ``base`` is None: the default of a config model)."""
    missing = [m for m in re.findall(r"\$\{?(\w+)\}?", text) if m not in os.environ]
    if missing:
        raise InputError(f"environment variable(s) {', '.join('$' + m for m in missing)} not set in '{text}'")
    path = Path(os.path.expanduser(os.path.expandvars(text)))
    return path if path.is_absolute() or base is None else (base / path)


def parse_value(meta: Mapping, text: str, base: Path | None) -> Any:
    """Parse one value given as template text, according to the option metadata ``meta``.

    kinds: bool, choice, int, float, date, snwe, latlon, floats (``count`` numbers), str, path,
    paths (comma separated), words (comma separated, lower-cased), bool_or_path.
    ``auto``/``none`` parse to None for every kind but bool and choice; for ``floats``,
    ``none`` parses to ``()`` (off) so that ``auto`` (None) can mean a built-in default.
    """
    raw = str(text).strip()
    low = raw.lower()
    kind = meta["kind"]
    if kind == "bool":
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise InputError(f"'{raw}' is not yes/no")
    if kind == "choice":
        for choice in meta["choices"]:
            if low == choice.lower():
                return choice
        raise InputError(f"'{raw}' is not one of: {', '.join(meta['choices'])}")
    if kind == "floats" and low == "none":
        return ()        # explicitly off, where 'auto' (None) means the built-in default
    if low in NONE:
        return None
    if kind == "bool_or_path":
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        return expand_path(raw, base)
    if kind in ("int", "float"):
        try:
            value = int(raw) if kind == "int" else float(raw)
        except ValueError:
            raise InputError(f"'{raw}' is not {'an integer' if kind == 'int' else 'a number'}") from None
        lo, hi = meta["lo"], meta["hi"]
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise InputError(f"{value} is outside the allowed range [{lo}, {hi}]")
        return value
    if kind == "date":
        parse_date(raw, "date")
        return raw
    if kind == "snwe":
        s, n, w, e = _floats(raw, 4, "S N W E in degrees")
        if not (-90 <= s < n <= 90 and w < e):
            raise InputError(f"'{raw}' is not a valid S N W E box (need -90 <= S < N <= 90 and W < E)")
        return (s, n, w, e)
    if kind == "latlon":
        lat, lon = _floats(raw, 2, "lat, lon in degrees")
        if not -90 <= lat <= 90:
            raise InputError(f"latitude {lat} is outside [-90, 90]")
        return (lat, lon)
    if kind == "floats":
        return _floats(raw, meta["count"], meta["help"].split(":")[0])
    if kind == "path":
        return expand_path(raw, base)
    if kind == "paths":
        return tuple(p.strip() for p in raw.split(",") if p.strip())
    if kind == "str":
        return raw
    if kind == "words":
        words = tuple(p.strip().lower() for p in raw.split(",") if p.strip())
        bad = [w for w in words if meta["choices"] and w not in meta["choices"]]
        if bad:
            raise InputError(f"'{', '.join(bad)}' not allowed; choose from: {', '.join(meta['choices'])}")
        return words
    raise AssertionError(f"unknown option kind {kind}")


def value_text(value: Any, kind: str) -> str:
    """A Python value (a keyword of :func:`mimtpy.run`, a script option) as template text."""
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (str, Path, int, float)):
        return str(value)
    if isinstance(value, Iterable):
        items = [str(v) for v in value]
        return ", ".join(items) if kind in LIST_KINDS else " ".join(items)
    return str(value)


def config_from_values(section: type, values: Mapping[str, Any], base: Path | None, source: str) -> Any:
    """A config model of ``section`` from ``{key: value}`` (keys case-insensitive; values as
    Python objects or template text), validated exactly like template keys. Every problem is
    reported at once in a TemplateError, each starting with ``source`` (e.g. ``mimtpy.run('velcumu')``)."""
    keys = section.keys()
    kwargs: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in values.items():
        name = keys.get(key.lower()) or (key if key in section.field_names() else None)
        if name is None:
            names = [meta["key"] for _n, meta in section.options()]
            guess = nearest(key, names)
            hint = f"; did you mean '{guess}'?" if guess else ""
            problems.append(f"{source}: {key}: unknown key (keys of {section.SECTION}: {', '.join(names)}){hint}")
            continue
        meta = section.meta(name)
        try:
            kwargs[name] = parse_value(meta, value_text(value, meta["kind"]), base)
        except MimtpyError as err:
            problems.append(f"{source}: {meta['key']}: {err}; {meta['help']}")
    if problems:
        raise TemplateError(problems)
    return section(**kwargs)


# ---------------------------------------------------------------------------------------------- template files

@dataclass(frozen=True)
class Entry:
    """One ``key = value`` line of a template."""

    key: str       # as written
    value: str
    line: int


@dataclass
class Template:
    """A parsed template: enabled steps and one typed config per section."""

    path: Path
    configs: dict[str, Any]
    enabled: dict[str, bool]
    lines: dict[str, int]          # "section.key" (lower case) -> line number, for later messages
    problems: list[str] = field(default_factory=list)   # with collect=True: every problem of the text
    bad: set[str] = field(default_factory=set)          # "section.key" (lower case) whose value is bad

    @property
    def project_dir(self) -> Path:
        return self.path.parent

    def where(self, section: str, key: str = "") -> str:
        """``file:line`` of a key (or of its section switch) for error messages."""
        full = f"{section}.{key}".lower() if key else section.lower()
        line = self.lines.get(full)
        return f"{self.path}:{line}" if line else str(self.path)


def split_lines(text: str, source: str) -> tuple[list[Entry], list[str]]:
    """Split template text into entries; returns (entries, problems)."""
    entries: list[Entry] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            problems.append(f"{source}:{number}: '{line[:60]}' is not a 'key = value' line")
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if not key:
            problems.append(f"{source}:{number}: missing key before '='")
            continue
        entries.append(Entry(key, value, number))
    return entries, problems


def _resolve_key(entry: Entry, source: str, by_name: dict[str, type]) -> tuple[str, str] | str:
    """(section, key) of an entry ('' key for a step switch), or a problem message."""
    parts = entry.key.split(".")
    where = f"{source}:{entry.line}: {entry.key}"
    sections = list(by_name)
    if parts[0].lower() != "mimtpy" or len(parts) not in (2, 3):
        guess = nearest(entry.key, [f"mimtpy.{s}" for s in sections])
        hint = f"; did you mean '{guess}'?" if guess else ""
        return f"{where}: keys look like mimtpy.<section>[.<key>]{hint}"
    section = parts[1].lower()
    if section not in by_name:
        guess = nearest(section, sections)
        hint = f" did you mean 'mimtpy.{guess}'?" if guess else ""
        return f"{where}: unknown section '{parts[1]}' (sections: {', '.join(sections)});{hint}"
    cls = by_name[section]
    if len(parts) == 2:
        if not cls.IS_STEP:
            return f"{where}: '{section}' is not a step; set its keys as mimtpy.{section}.<key>"
        return section, ""
    key = parts[2].lower()
    if key not in cls.keys():
        names = [meta["key"] for _n, meta in cls.options()]
        guess = nearest(parts[2], names)
        hint = f"; did you mean 'mimtpy.{section}.{guess}'?" if guess else ""
        return f"{where}: unknown key (keys of {section}: {', '.join(names)}){hint}"
    return section, key


def line_of(problem: str) -> int:
    """The line number of a problem message `file:line: ...` (0 when it names no line)."""
    parts = problem.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def parse_template_text(text: str, path: str | Path, sections: list[type], collect: bool = False) -> Template:
    """Parse template text into configs of ``sections`` (the registered config models, in
    order); relative paths are taken relative to the folder of ``path``.

    Raises TemplateError listing every problem found; with ``collect`` the problems are kept in
    ``Template.problems`` instead (a bad value is replaced by its default), so that the caller can add
    what the steps' plans find and report everything together.
    """
    path = Path(path)
    source = str(path)
    base = path.parent.resolve() if path.parent != Path("") else Path.cwd()
    by_name = {s.SECTION: s for s in sections}
    entries, problems = split_lines(text, source)
    values: dict[str, dict[str, Entry]] = {s.SECTION: {} for s in sections}
    switches: dict[str, Entry] = {}
    lines: dict[str, int] = {}
    for entry in entries:
        resolved = _resolve_key(entry, source, by_name)
        if isinstance(resolved, str):
            problems.append(resolved)
            continue
        section, key = resolved
        target = switches if not key else values[section]
        slot = section if not key else key
        if slot in target:
            problems.append(f"{source}:{entry.line}: {entry.key}: set twice (first on line {target[slot].line})")
            continue
        target[slot] = entry
        lines[f"{section}.{key}" if key else section] = entry.line

    enabled: dict[str, bool] = {}
    for cls in sections:
        if not cls.IS_STEP:
            continue
        entry = switches.get(cls.SECTION)
        if entry is None:
            enabled[cls.SECTION] = False
            continue
        try:
            enabled[cls.SECTION] = bool(parse_value({"kind": "bool"}, entry.value, base))
        except InputError as err:
            problems.append(f"{source}:{entry.line}: {entry.key}: {err} (a step switch takes yes or no)")
            enabled[cls.SECTION] = collect      # planned, so that its other problems are reported too

    configs: dict[str, Any] = {}
    bad: set[str] = set()
    for cls in sections:
        kwargs = {}
        for name, meta in cls.options():
            entry = values[cls.SECTION].get(meta["key"].lower())
            text_value = entry.value if entry is not None and entry.value != "" else meta["text"]
            try:
                kwargs[name] = parse_value(meta, text_value, base)
            except MimtpyError as err:
                label = f"mimtpy.{cls.SECTION}.{meta['key']}"
                at = f"{source}:{entry.line}: {label}" if entry else f"default of {label}"
                problems.append(f"{at}: {err}; {meta['help']}")
                bad.add(f"{cls.SECTION}.{meta['key']}".lower())
        configs[cls.SECTION] = cls(**kwargs)      # a bad value: its default (reported, never run)
    if problems and not collect:
        raise TemplateError(sorted(problems, key=line_of))
    return Template(path, configs, enabled, lines, sorted(problems, key=line_of), bad)



def read_template(path: str | Path, sections: list[type], collect: bool = False) -> Template:
    """Read and parse a template file; TemplateError if it is missing or unreadable (see
    :func:`parse_template_text` for ``collect``)."""
    path = Path(path).expanduser().absolute()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{path}: template file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise TemplateError(f"{path}: cannot read template: {err}") from None
    return parse_template_text(text, path, sections, collect)

"""Template files: ``key = value`` lines -> typed section configs.

Rules (DESIGN.md §2): keys are case-insensitive and start with ``mimtpy.``; ``#`` starts
a comment; ``$VARS`` and ``~`` expand in paths; yes/no/true/false/y/n and auto/none are
understood everywhere; an empty value means the default. Unknown keys, bad values and
duplicates are collected and raised together in one :class:`TemplateError`, each with
``file:line``, the key, the value, what is allowed and the nearest valid key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mimtpy.config import SECTION_BY_NAME, SECTIONS, SectionConfig, nearest, parse_value
from mimtpy.errors import InputError, MimtpyError, TemplateError


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
    configs: dict[str, SectionConfig]
    enabled: dict[str, bool]
    lines: dict[str, int]          # "section.key" (lower case) -> line number, for later messages

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


def _resolve_key(entry: Entry, source: str) -> tuple[str, str] | str:
    """(section, key) of an entry ('' key for a step switch), or a problem message."""
    parts = entry.key.split(".")
    where = f"{source}:{entry.line}: {entry.key}"
    sections = list(SECTION_BY_NAME)
    if parts[0].lower() != "mimtpy" or len(parts) not in (2, 3):
        guess = nearest(entry.key, [f"mimtpy.{s}" for s in sections])
        hint = f"; did you mean '{guess}'?" if guess else ""
        return f"{where}: keys look like mimtpy.<section>[.<key>]{hint}"
    section = parts[1].lower()
    if section not in SECTION_BY_NAME:
        guess = nearest(section, sections)
        hint = f" did you mean 'mimtpy.{guess}'?" if guess else ""
        return f"{where}: unknown section '{parts[1]}' (sections: {', '.join(sections)});{hint}"
    cls = SECTION_BY_NAME[section]
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


def _line_of(problem: str) -> int:
    parts = problem.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def parse_template_text(text: str, path: str | Path = "<template>") -> Template:
    """Parse template text; relative paths are taken relative to the folder of ``path``.

    Raises TemplateError listing every problem found.
    """
    path = Path(path)
    source = str(path)
    base = path.parent.resolve() if path.parent != Path("") else Path.cwd()
    entries, problems = split_lines(text, source)
    values: dict[str, dict[str, Entry]] = {s.SECTION: {} for s in SECTIONS}
    switches: dict[str, Entry] = {}
    lines: dict[str, int] = {}
    for entry in entries:
        resolved = _resolve_key(entry, source)
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
    for cls in SECTIONS:
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

    configs: dict[str, SectionConfig] = {}
    for cls in SECTIONS:
        kwargs = {}
        for name, meta in cls.options():
            entry = values[cls.SECTION].get(meta["key"].lower())
            text_value = entry.value if entry is not None and entry.value != "" else meta["text"]
            try:
                kwargs[name] = parse_value(meta, text_value, base)
            except MimtpyError as err:
                at = (f"{source}:{entry.line}: {entry.key}" if entry
                      else f"default of mimtpy.{cls.SECTION}.{meta['key']}")
                problems.append(f"{at}: {err}; {meta['help']}")
        configs[cls.SECTION] = cls(**kwargs)
    if problems:
        raise TemplateError(sorted(problems, key=_line_of))
    return Template(path, configs, enabled, lines)


def read_template(path: str | Path) -> Template:
    """Read and parse a template file; TemplateError if it is missing or unreadable."""
    path = Path(path).expanduser().absolute()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{path}: template file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise TemplateError(f"{path}: cannot read template: {err}") from None
    return parse_template_text(text, path)

"""Generate ``defaults/mimtpyApp.cfg`` and ``docs/template.md`` from the step registry (:mod:`mimtpy.steps`).

``python -m mimtpy.docgen [ROOT]`` (``make defaults``) rewrites both; a test checks that
the committed files equal what this module renders, so they cannot drift.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mimtpy import steps


def render_default_template() -> str:
    """The documented default template: every key with its default and help (defaults/mimtpyApp.cfg)."""
    lines = [
        "## mimtpy default template: every key, its default and what it means.",
        "## Generated from the step registry (make defaults); do not edit by hand.",
        "## Keys are case-insensitive; 'auto' = the default behaviour; # starts a comment;",
        "## relative paths are relative to the folder of the template.",
        f"## Steps, in the order they run: {', '.join(steps.names())}.",
    ]
    for section in steps.sections():
        lines += ["", f"########## {section.SECTION}: {section.HELP}"]
        if section.IS_STEP:
            step = steps.get(section.SECTION)
            scripts = f"; script {', '.join(step.scripts)}" if step.scripts else ""
            lines[-1] += f" ({step.group}{scripts})"
            lines.append(f"{'mimtpy.' + section.SECTION:<40} = no  # run this step: yes/no")
        for _name, meta in section.options():
            key = f"mimtpy.{section.SECTION}.{meta['key']}"
            allowed = f" [{' | '.join(meta['choices'])}]" if meta["choices"] else ""
            lines.append(f"{key:<40} = {meta['text']}  # {meta['help']}{allowed}")
    return "\n".join(lines) + "\n"


def render_template_reference() -> str:
    """Markdown reference of every template key."""
    out = ["# Template reference", "",
           "Generated from the step registry (`mimtpy/steps.py`) by `make defaults`; do not edit by hand.", "",
           "A template is a text file of `key = value` lines. Keys are case-insensitive; `#` starts a comment;",
           "`$VARS` and `~` expand; yes/no/true/false/y/n and `auto`/`none` are understood everywhere; an empty",
           "value means the default. Relative paths are relative to the folder of the template.",
           "A step runs when its switch is on (`mimtpy.<step> = yes`).", "",
           "Steps, in the order they run:", "",
           "| step | group | scripts | what it does |", "| --- | --- | --- | --- |"]
    out += [f"| `{s.name}` | {s.group} | {', '.join(f'`{x}`' for x in s.scripts)} | {s.config.HELP} |"
            for s in steps.steps()]
    for section in steps.sections():
        out += ["", f"## `mimtpy.{section.SECTION}`", "", section.HELP + ".", ""]
        if section.IS_STEP:
            out.append(f"Switch: `mimtpy.{section.SECTION} = yes | no` (default no).")
            out.append("")
        out += ["| key | default | meaning |", "| --- | --- | --- |"]
        for _name, meta in section.options():
            allowed = f" One of: {', '.join(meta['choices'])}." if meta["choices"] else ""
            out.append(f"| `{meta['key']}` | `{meta['text']}` | {meta['help']}.{allowed} |")
    return "\n".join(out) + "\n"


def outputs(root: Path) -> dict[Path, str]:
    return {root / "defaults" / "mimtpyApp.cfg": render_default_template(),
            root / "docs" / "template.md": render_template_reference()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path.cwd()
    for path, text in outputs(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Generate ``defaults/mimtpyApp.cfg`` and ``docs/template.md`` from :mod:`mimtpy.config`.

``python -m mimtpy.docgen [ROOT]`` (``make defaults``) rewrites both; a test checks that
the committed files equal what this module renders, so they cannot drift.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mimtpy.config import SECTIONS, render_default_template


def render_template_reference() -> str:
    """Markdown reference of every template key."""
    out = ["# Template reference", "",
           "Generated from `mimtpy/config.py` by `make defaults`; do not edit by hand.", "",
           "A template is a text file of `key = value` lines. Keys are case-insensitive; `#` starts a comment;",
           "`$VARS` and `~` expand; yes/no/true/false/y/n and `auto`/`none` are understood everywhere; an empty",
           "value means the default. Relative paths are relative to the folder of the template.",
           "A step runs when its switch is on (`mimtpy.<step> = yes`)."]
    for section in SECTIONS:
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

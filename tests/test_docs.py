"""Generated documentation cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from mimtpy.app import read_template
from mimtpy.docgen import outputs

ROOT = Path(__file__).parent.parent


def test_defaults_and_template_reference_are_generated_from_config():
    for path, text in outputs(ROOT).items():
        assert path.read_text() == text, f"{path} is stale: run `make defaults`"


def test_shipped_templates_parse():
    for path in (ROOT / "templates").glob("*.template"):
        read_template(path)


def test_every_step_has_a_page():
    from mimtpy import steps
    for name in steps.names():
        assert (ROOT / "docs" / "steps" / f"{name}.md").exists()


def test_formats_page_lists_every_reader():
    from mimtpy.io import READERS
    text = (ROOT / "docs" / "formats.md").read_text()
    for reader in READERS:
        assert f"| `{reader.name}` |" in text

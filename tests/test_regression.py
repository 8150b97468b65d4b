"""Refactorings change no number: a small demo-like run (synthetic -> velcumu -> horzvert ->
concatenation -> transects) gives the outputs recorded before the step-registry refactoring
(tests/data/regression/demo_small.json, made with tests/regression.py)."""

from __future__ import annotations

import json
from pathlib import Path

from mimtpy.cli import app as app_cli
from tests.regression import TEMPLATE, fingerprint, same

RECORDED = Path(__file__).parent / "data" / "regression" / "demo_small.json"


def test_demo_outputs_equal_the_recorded_run(tmp_path):
    (tmp_path / "project.template").write_text(TEMPLATE)
    assert app_cli.main([str(tmp_path / "project.template"), "-q"]) == 0
    recorded = json.loads(RECORDED.read_text())
    now = fingerprint(tmp_path)
    missing = sorted(set(recorded) - set(now))
    changed = sorted(k for k in recorded if k in now and not same(recorded[k], now[k]))
    assert not missing, f"outputs no longer written: {missing}"
    assert not changed, f"outputs that changed: {changed[:10]}"
    assert len(recorded) > 40          # every product of the five steps is in the record

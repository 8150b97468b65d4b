"""Template engine: DESIGN.md §2 rules, all problems reported together, never a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mimtpy import steps
from mimtpy.app import parse_template, read_template
from mimtpy.basic.velcumu import VelcumuConfig
from mimtpy.docgen import render_default_template
from mimtpy.errors import TemplateError


def parse(text: str, folder: Path = Path("/proj")):
    return parse_template(text, folder / "p.template")


def test_keys_are_case_insensitive_and_comments_are_ignored():
    t = parse("MIMTPY.VelCumu = YES   # on\nmimtpy.velcumu.dataset = a.he5  # a comment\n"
              "Mimtpy.Velcumu.TYPE = Displacement\n")
    cfg = t.configs["velcumu"]
    assert t.enabled["velcumu"] is True
    assert cfg.dataset == ("a.he5",)
    assert cfg.type == ("displacement",)


def test_defaults_are_merged_from_the_config_classes():
    cfg = parse("mimtpy.velcumu = yes\nmimtpy.velcumu.DataSet = x\n").configs["velcumu"]
    assert cfg.min_epochs == 3 and cfg.snwe is None and cfg.start_date is None and cfg.mask is False
    assert cfg.type == ("velocity",) and cfg.geotiff is True
    assert parse("").configs["compute"].max_memory == 4.0


@pytest.mark.parametrize("word,expected", [("yes", True), ("Y", True), ("true", True), ("no", False),
                                           ("n", False), ("False", False)])
def test_yes_no_words(word, expected):
    assert parse(f"mimtpy.plot = {word}").enabled["plot"] is expected


def test_auto_none_and_empty_values_mean_default():
    cfg = parse("mimtpy.velcumu.SNWE = auto\nmimtpy.velcumu.startDate = none\nmimtpy.velcumu.minEpochs =\n"
                ).configs["velcumu"]
    assert cfg.snwe is None and cfg.start_date is None and cfg.min_epochs == 3


def test_env_vars_and_home_expand_and_relative_paths_follow_the_template(tmp_path, monkeypatch):
    monkeypatch.setenv("MIMTPY_TEST_DIR", str(tmp_path))
    t = parse("mimtpy.velcumu.outdir = $MIMTPY_TEST_DIR/out\nmimtpy.plot.outdir = ~/figs\n"
              "mimtpy.synthetic.outdir = rel\n", tmp_path / "proj")
    assert t.configs["velcumu"].outdir == tmp_path / "out"
    assert t.configs["plot"].outdir == Path(os.path.expanduser("~/figs"))
    assert t.configs["synthetic"].outdir == tmp_path / "proj" / "rel"


def test_unset_env_var_is_an_error_with_line():
    with pytest.raises(TemplateError) as err:
        parse("mimtpy.velcumu.outdir = $MIMTPY_SURELY_UNSET_VAR/out\n")
    assert ":1:" in str(err.value) and "MIMTPY_SURELY_UNSET_VAR" in str(err.value)


def test_three_mistakes_give_three_messages_with_lines_and_nearest_key():
    text = ("mimtpy.velcumu = yes\n"
            "mimtpy.velcumu.DataSet = a.he5\n"
            "mimtpy.velcumu.tpye = velocity\n"          # misspelt key
            "mimtpy.velcumu.SNWE = 34 33 -118 -117\n"   # bad value: S > N
            "mimtpy.horzvet.azimuth = 90\n")            # misspelt section
    with pytest.raises(TemplateError) as err:
        parse(text)
    problems = err.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("/proj/p.template:3: mimtpy.velcumu.tpye")
    assert "did you mean 'mimtpy.velcumu.type'" in problems[0]
    assert problems[1].startswith("/proj/p.template:4:") and "S N W E" in problems[1]
    assert problems[2].startswith("/proj/p.template:5:") and "unknown section 'horzvet'" in problems[2]


def test_bad_choice_lists_what_is_allowed():
    with pytest.raises(TemplateError, match=r"choose from: velocity, displacement"):
        parse("mimtpy.velcumu.type = velocty\n")


def test_numbers_are_bounds_checked():
    with pytest.raises(TemplateError, match=r"outside the allowed range"):
        parse("mimtpy.velcumu.minEpochs = 1\n")
    with pytest.raises(TemplateError, match=r"not an integer"):
        parse("mimtpy.velcumu.minEpochs = three\n")


def test_duplicate_key_is_reported_with_both_lines():
    with pytest.raises(TemplateError, match=r":2: mimtpy.VELCUMU.TYPE: set twice \(first on line 1\)"):
        parse("mimtpy.velcumu.type = velocity\nmimtpy.VELCUMU.TYPE = displacement\n")


def test_line_without_equals_and_non_step_switch_are_errors():
    with pytest.raises(TemplateError) as err:
        parse("just words\nmimtpy.compute = yes\n")
    assert len(err.value.problems) == 2
    assert "not a 'key = value' line" in err.value.problems[0]
    assert "not a step" in err.value.problems[1]


def test_missing_template_file_is_a_template_error(tmp_path):
    with pytest.raises(TemplateError, match="template file not found"):
        read_template(tmp_path / "nope.template")


def test_floats_none_turns_an_option_off_and_auto_keeps_the_default():
    cfg = parse("mimtpy.synthetic.mogi = none\n").configs["synthetic"]
    assert cfg.mogi == ()
    assert parse("").configs["synthetic"].mogi is None


def test_default_template_parses_back_to_the_defaults():
    t = parse(render_default_template())
    fresh = parse("")
    assert t.configs == fresh.configs
    assert not any(t.enabled.values())


def test_every_section_has_keys_with_help():
    for section in steps.sections():
        for _name, meta in section.options():
            assert meta["help"] and meta["key"], (section.SECTION, meta)
    assert "dataset" in VelcumuConfig.keys()


lines = st.one_of(
    st.text(max_size=80),
    st.builds(lambda s, k, v: f"mimtpy.{s}.{k} = {v}",
              st.sampled_from(["velcumu", "plot", "synthetic", "compute", "horzvert", "VELCUMU"]),
              st.sampled_from(["DataSet", "type", "SNWE", "startDate", "minEpochs", "mask", "vlim", "tracks",
                               "maxMemory", "mogi", "referencePoint", "x"]),
              st.text(max_size=30)),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(lines, max_size=12))
def test_random_text_never_crashes_with_anything_but_template_error(tmp_path_factory, content):
    try:
        parse("\n".join(content))
    except TemplateError as err:
        assert err.problems and all(isinstance(p, str) and p for p in err.problems)

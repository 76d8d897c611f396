"""The config reader's libyaml path gives what PyYAML's own parser gives: the same data for
every shipped and example config, and the same located problem for every bad one (on any
problem the pure parser reads the file again, so the wording never depends on libyaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from trialmeta.review import config_yaml

ROOT = Path(__file__).resolve().parents[2]
GOOD = [ROOT / "config" / "config.yaml", *sorted((ROOT / "examples").glob("*/config.yaml")),
        ROOT / "tests" / "workflow" / "config.yaml"]  # fmt: skip
BAD = sorted((ROOT / "tests" / "data" / "bad_config").glob("*.yaml"))
HAS_LIBYAML = getattr(yaml, "__with_libyaml__", False)


def _pure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_yaml, "_C_LOADER", None)


@pytest.mark.skipif(not HAS_LIBYAML, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", GOOD, ids=lambda p: str(p.relative_to(ROOT)))
def test_libyaml_reads_every_config_as_pyyaml_does(path: Path, monkeypatch) -> None:
    fast = config_yaml.read_config_file(path)
    assert fast[1] == [] and fast[0]
    _pure(monkeypatch)
    assert config_yaml.read_config_file(path) == fast


@pytest.mark.skipif(not HAS_LIBYAML, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_a_bad_config_has_the_same_problem_with_or_without_libyaml(path: Path, monkeypatch):
    fast = config_yaml.read_config_file(path)
    _pure(monkeypatch)
    assert config_yaml.read_config_file(path) == fast


@pytest.mark.skipif(not HAS_LIBYAML, reason="PyYAML built without libyaml")
def test_a_syntax_error_is_worded_by_pyyaml(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("title: [unclosed\nmodel: {method: REML\n", encoding="utf-8")
    problems = config_yaml.read_config_file(bad)[1]
    try:
        yaml.load(bad.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        expected = exc.problem
    assert len(problems) == 1 and f"got {expected}" in problems[0]

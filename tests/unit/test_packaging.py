"""pyproject.toml and environment.yml must declare the same packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, set[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    out = {"runtime": {_name(s) for s in project["dependencies"]}}
    for extra, specs in project["optional-dependencies"].items():  # test, cluster, fast, ...
        out[extra] = {_name(s) for s in specs}
    return out


def test_environment_yml_lists_the_same_packages_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(s) for s in env["dependencies"] if isinstance(s, str)} - {"python", "pip"}
    for s in env["dependencies"]:
        if isinstance(s, dict):
            conda |= {_name(x) for x in s.get("pip", [])}
    py = _pyproject()
    assert conda == set().union(*py.values())


def test_console_script_is_declared():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["scripts"]["trialmeta"] == "trialmeta.cli:main"

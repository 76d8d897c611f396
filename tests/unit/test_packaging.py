"""pyproject.toml and environment.yml must declare the same packages, extras included."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SELF = re.compile(r"^trialmeta\[(?P<extras>[\w,\s-]+)\]$")


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _extra(name: str) -> set[str]:
    """Distributions of one extra, with ``trialmeta[other]`` references expanded."""
    out: set[str] = set()
    for spec in PROJECT["optional-dependencies"][name]:
        ref = SELF.match(spec.strip())
        if ref:
            for other in ref["extras"].split(","):
                out |= _extra(other.strip())
        else:
            out.add(_name(spec))
    return out


def test_extras_are_the_documented_ones():
    assert set(PROJECT["optional-dependencies"]) == {
        "workflow",
        "report",
        "bench",
        "test",
        "cluster",
        "fast",
    }


def test_core_is_light_and_extras_hold_the_rest():
    core = {_name(s) for s in PROJECT["dependencies"]}
    assert {"snakemake", "statsmodels", "python-docx", "weasyprint"}.isdisjoint(core)
    assert _extra("report") == {"python-docx", "weasyprint"}  # Word SoF, PDF report
    assert _extra("workflow") == {"snakemake", "python-docx", "weasyprint"}
    assert _extra("bench") == {"statsmodels"}
    # README command 2 (pip install -e '.[test]') must bring everything the tests use
    assert {"snakemake", "statsmodels", "pytest", "hypothesis", "build", "snakefmt"} <= _extra(
        "test")  # fmt: skip
    assert "snakemake" in _extra("cluster")
    assert _extra("fast") == {"numba"}  # compiled kernels of pool_batch, optional


def test_environment_yml_lists_the_same_packages_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(s) for s in env["dependencies"] if isinstance(s, str)} - {"python", "pip"}
    for s in env["dependencies"]:
        if isinstance(s, dict):
            conda |= {_name(x) for x in s.get("pip", [])}
    py = {_name(s) for s in PROJECT["dependencies"]}
    for extra in PROJECT["optional-dependencies"]:
        py |= _extra(extra)
    assert conda == py


def test_console_script_is_declared():
    assert PROJECT["scripts"]["trialmeta"] == "trialmeta.cli:main"


def test_readme_commands_install_the_extras_they_need():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 -m pip install -e '.[workflow]' && snakemake --cores 2" in readme
    assert "python3 -m pip install -e '.[test]' && python3 -m pytest" in readme

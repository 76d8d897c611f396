"""The built wheel, installed outside the repository, validates data and analyzes a CSV.

See ``wheel_check.py`` beside this file; CI also runs it with ``--fresh`` (a venv without
the system site-packages, dependencies resolved by pip).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wheel_check  # noqa: E402


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> wheel_check.Installed:
    work = tmp_path_factory.mktemp("wheel")
    return wheel_check.install(work, wheel_check.build_wheel(work), fresh=False)


def test_wheel_ships_the_sheet_schemas_and_the_console_script(installed):
    import zipfile

    names = zipfile.ZipFile(installed.wheel).namelist()
    for sheet in ("studies", "arms", "contrasts", "risk_of_bias"):
        assert f"trialmeta/data/schemas/{sheet}.schema.yaml" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "trialmeta = trialmeta.cli:main" in zipfile.ZipFile(installed.wheel).read(
        entry).decode()  # fmt: skip
    assert not any(n.startswith(("tests/", "workflow/", "bench/")) for n in names)


def test_installed_cli_runs_outside_the_repository(installed, tmp_path):
    assert wheel_check.check(installed, tmp_path, fresh=False) == []


def test_installed_analyze_equals_metafor(installed, tmp_path):
    # metafor 3.8-1: rma(measure="MD", m1i, sd1i, n1i, m2i, sd2i, n2i, data=dat.normand1999)
    # (REML, z), as stored in tests/reference/metafor_reference.json.
    ref = json.loads((wheel_check.ROOT / "tests" / "reference" / "metafor_reference.json")
                     .read_text(encoding="utf-8"))  # fmt: skip
    case = next(c for c in ref["pool"] if c["dataset"] == "normand1999" and
                c["method"] == "REML" and c["test"] == "z" and c["level"] == 0.95)  # fmt: skip
    proc = wheel_check._run([installed.trialmeta, "analyze", wheel_check.ROOT / "tests" / "data"
                             / "normand1999.csv", "--json"], tmp_path)  # fmt: skip
    pooled = json.loads(proc.stdout)["pool"]
    for key in ("estimate", "se", "ci_lb", "ci_ub", "tau2"):
        assert pooled[key] == pytest.approx(case[key], rel=1e-6), key

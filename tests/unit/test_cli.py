"""The trialmeta command line: readable output, --json, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trialmeta.cli import main

NORMAND = Path(__file__).resolve().parents[1] / "data" / "normand1999.csv"

# metafor 3.8-1: print(rma(measure="MD", m1i, sd1i, n1i, m2i, sd2i, n2i, data=dat.normand1999))
# and confint() of the same model.
METAFOR_NORMAND_PRINT = [
    "tau^2 (estimated amount of total heterogeneity): 684.6462 (SE = 359.7541)",
    "tau (square root of estimated tau^2 value):      26.1657",
    "I^2 (total heterogeneity / total variability):   98.97%",
    "H^2 (total variability / sampling variability):  97.21",
    "Q(df = 8) = 238.9158, p-val < .0001",
    "-15.1060  8.9466  -1.6885  0.0913  -32.6409  2.4289",
    "tau^2 [292.9181, 2889.4513]",
    "I^2 [97.63%, 99.75%]",
]


def test_analyze_normand1999_prints_metafor_numbers(capsys):
    assert main(["analyze", str(NORMAND)]) == 0
    out = capsys.readouterr().out
    for line in METAFOR_NORMAND_PRINT:
        assert line in out


def test_pool_json_has_stable_keys(capsys):
    assert main(["pool", str(NORMAND), "--method", "DL", "--test", "knha", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("k", "method", "test", "level", "estimate", "se", "ci_lb", "ci_ub", "stat", "pval",
                "tau2", "tau2_ci_lb", "tau2_ci_ub", "i2_percent", "i2_ci_lb", "i2_ci_ub", "h2",
                "q", "q_df", "q_pval", "pi_lb", "pi_ub", "converged", "flags"):  # fmt: skip
        assert key in data
    assert data["method"] == "DL" and data["test"] == "knha" and data["k"] == 9


def test_analyze_json_sections(capsys):
    assert main(["analyze", str(NORMAND), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"pool", "egger", "begg", "trimfill", "leave_one_out"}
    assert len(data["leave_one_out"]["estimate"]) == 9
    assert "k_lt_10" in data["egger"]["flags"]


def test_yi_sei_columns(tmp_path, capsys):
    f = tmp_path / "synthetic_yi_sei.csv"
    f.write_text("study,yi,sei\nA,0.1,0.1\nB,0.3,0.2\nC,0.2,0.15\n", encoding="utf-8")
    assert main(["pool", str(f), "--method", "FE", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["k"] == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n", "missing columns"),
        ("", "empty"),
        ("yi,vi\n", "no data rows"),
        ("yi,vi\n0.1,0\n", ":2:vi: must be positive"),
        ("yi,vi\n0,1;5\n", ":2:vi: not a number"),
        ("yi,vi,vi\n1,1,1\n", "duplicated column"),
        ('yi,vi\n"0,5",0.1\n', "decimal point"),
        ("n1i,m1i,sd1i,n2i,m2i,sd2i\n1,2,3,10,2,3\n", ":2:n1i: bad group size"),
        ("n1i,m1i,sd1i,n2i,m2i,sd2i\n10,2,-3,10,2,3\n", ":2:sd1i: must be positive"),
        ("yi,vi\n0.1,0.1,9\n", "cells"),
    ],
)
def test_bad_csv_exits_2_with_one_line_per_problem(tmp_path, capsys, content, message):
    f = tmp_path / "synthetic_bad.csv"
    f.write_text(content, encoding="utf-8")
    assert main(["pool", str(f)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert all(line.startswith("trialmeta: error: ") for line in err.strip().splitlines())


def test_all_problems_reported_together(tmp_path, capsys):
    f = tmp_path / "synthetic_bad.csv"
    f.write_text("yi,vi\nx,0.1\n0.2,-1\n0.3,NA\n", encoding="utf-8")
    assert main(["pool", str(f)]) == 2
    err = capsys.readouterr().err
    assert ":2:yi:" in err and ":3:vi:" in err and ":4:vi:" in err


def test_non_utf8_file(tmp_path, capsys):
    f = tmp_path / "synthetic_latin1.csv"
    f.write_bytes("study,yi,vi\nM\xfcller,0.1,0.1\n".encode("latin-1"))
    assert main(["pool", str(f)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_console_script_has_no_traceback(tmp_path):
    f = tmp_path / "synthetic_bad.csv"
    f.write_text("yi,vi\n1,-1\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "trialmeta.cli", "pool", str(f)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "must be positive" in proc.stderr


DATA = Path(__file__).resolve().parents[2] / "data"


def test_validate_json_through_the_one_parser():
    # `trialmeta validate data --json` failed with "unrecognized arguments" when validate
    # had a parser of its own.
    proc = subprocess.run([sys.executable, "-m", "trialmeta.cli", "validate", str(DATA), "--json"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is True and data["problems"] == []
    assert data["summary"]["studies"] == 25 and data["summary"]["poolable"] > 0
    assert any(w.startswith("Sokunbi_NJMR:") for w in data["warnings"])


def test_validate_json_on_bad_sheets_exits_2_with_every_problem(corpus_case, capsys):
    assert main(["validate", str(corpus_case("enum_typo")), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["summary"] == {}
    assert any("arms.csv:3:arm_type: not an allowed value" in p for p in data["problems"])


@pytest.mark.parametrize("command", ["pool", "analyze", "validate"])
def test_every_command_takes_json(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "--json" in capsys.readouterr().out


def test_unexpected_exception_is_one_line_not_a_traceback(monkeypatch, capsys):
    import trialmeta.cli as cli

    def boom(path):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(cli, "validate_path", boom)
    assert main(["validate", "somewhere"]) == 3  # internal error: exit 3, as for pool
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "trialmeta: error: somewhere: internal error (got RuntimeError: synthetic "
        "failure, expected none; please report this input)"
    ]

"""The CLI corpus (tests/cli/cases/, all SYNTHETIC): valid but extreme input gives an answer
with a flag or a located "not computable" line; bad input a located one-line error; never a
traceback, never raw terminal escapes (reliability review F5, F14, F15, F17, F2, F27, F28).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import trialmeta
from trialmeta import cli
from trialmeta.cli import main

CASES_DIR = Path(__file__).resolve().parent / "cases"
ERROR = re.compile(r"^trialmeta: error: [^:\s][^:]*:\d+:[\w/]+: .+")

# file -> (exit code, fragments of stderr (exit 2) or stdout (exit 0)), for pool and analyze
CASES: dict[str, tuple[int, list[str]]] = {
    # F5: equal sampling variances: pooled; Egger and Begg NaN with their reason; trim-and-fill
    # not computable (analyze only; checked below)
    "equal_variances.csv": (0, ["Random-Effects Model (k = 5"]),
    # F14: effects 1e100..1e308 SEs from zero, variances 1e-200 and subnormal
    "yi_1e100.csv": (
        2,
        ["yi_1e100.csv:2:yi: not computable (the effect sizes are 1e100 standard errors from zero"],
    ),
    "yi_1e200.csv": (2, ["yi_1e200.csv:2:yi: not computable"]),
    "yi_1e308.csv": (2, ["yi_1e308.csv:2:yi: not computable"]),
    "vi_1e-200.csv": (
        2,
        [
            "vi_1e-200.csv:2:vi: not computable (the sampling variances span 1e201",
            "the smallest is 1e-200",
        ],
    ),
    "vi_subnormal.csv": (2, ["vi_subnormal.csv:2:vi: not computable", "4.94e-324"]),
    # F6 through the CLI: sd = 1e-100 in arm-level input
    "tiny_sd_arms.csv": (2, ["tiny_sd_arms.csv:2:sd1i: not computable"]),
    # any magnitude pools when the data agree with each other (exact rescaling)
    "uniform_scale_1e150.csv": (0, ["Random-Effects Model (k = 4"]),
    # F27: derived values located at the user's column
    "sei_1e-200.csv": (
        2,
        ["sei_1e-200.csv:2:sei: derived sampling variance underflows to 0 (got sei='1e-200'"],
    ),
    "sei_1e200.csv": (2, ["sei_1e200.csv:2:sei: derived sampling variance overflows"]),
    "sd1i_1e200.csv": (
        2,
        ["sd1i_1e200.csv:2:sd1i: derived sampling variance overflows (got sd1i='1e200'"],
    ),
    "means_overflow.csv": (2, ["means_overflow.csv:2:m1i: derived effect size overflows"]),
    # F28: escapes in labels never reach the terminal
    "ansi_label.csv": (0, ["Random-Effects Model (k = 3"]),
    # F17: digit grouping is not a number; nan/inf text is not finite
    "underscore_digits.csv": (2, ["underscore_digits.csv:2:yi: not a number (got '2_5'"]),
    "nan_text.csv": (
        2,
        [
            "nan_text.csv:2:yi: not a finite number (got 'nan')",
            "nan_text.csv:3:vi: not a finite number (got 'inf')",
        ],
    ),
    # F2: an unbalanced quote swallows rows
    "unbalanced_quote.csv": (2, ["unbalanced_quote.csv:2:study: quoted cell spans lines 2-5"]),
    # line numbers are the file's, blank lines counted
    "blank_lines.csv": (2, ["blank_lines.csv:5:yi: not a number (got 'x'"]),
    # a Unicode line separator inside a label is text, not a line break
    "unicode_line_separator.csv": (0, ["Random-Effects Model (k = 3"]),
}
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_corpus_is_complete():
    assert {p.name for p in CASES_DIR.glob("*.csv")} == set(CASES)


@pytest.mark.parametrize("command", ["pool", "analyze"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_case(case, command, capsys):
    rc = main([command, str(CASES_DIR / case)])
    out, err = capsys.readouterr()
    want_rc, fragments = CASES[case]
    assert rc == want_rc, (out, err)
    text = err if want_rc else out
    for fragment in fragments:
        assert fragment in text, text
    assert "Traceback" not in out + err
    assert not _TERMINAL_CONTROLS.search(out + err)
    if want_rc:
        assert not out
        for line in err.strip().splitlines():
            assert ERROR.match(line), line


@pytest.mark.parametrize("case", sorted(c for c, (rc, _) in CASES.items() if rc == 0))
def test_cli_json_is_strict(case, capsys):
    assert main(["analyze", str(CASES_DIR / case), "--json"]) == 0
    json.loads(capsys.readouterr().out)  # NaN is written as null, never as NaN


def test_equal_variances_say_why_tests_are_not_computable(capsys):
    assert main(["analyze", str(CASES_DIR / "equal_variances.csv")]) == 0
    out = capsys.readouterr().out
    assert "every study has the same standard error, so Egger's regression" in out
    assert "Begg's rank correlation is undefined" in out
    assert "trimfill: not computable (every study has the same standard error" in out


def test_uniform_scale_is_the_unit_scale_result(capsys):
    # yi -> c yi, vi -> c² vi: the estimate scales by c, the z statistic does not change.
    assert main(["pool", str(CASES_DIR / "uniform_scale_1e150.csv"), "--json"]) == 0
    big = json.loads(capsys.readouterr().out)
    unit = trialmeta.pool([1.0, 3.0, 2.0, 2.5], [1.0, 2.0, 1.5, 1.0])
    assert big["estimate"] == pytest.approx(unit.estimate * 1e150, rel=1e-12)
    assert big["tau2"] == pytest.approx(unit.tau2 * 1e300, rel=1e-9)
    assert big["stat"] == pytest.approx(unit.stat, rel=1e-12)


def test_escape_sequences_are_removed_not_printed(capsys):
    assert main(["analyze", str(CASES_DIR / "ansi_label.csv")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "pwned" not in out
    assert "\u202e" not in out and "?evil" in out


def _synthetic_csv(path: Path, k: int, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    y, v = rng.normal(0, 1, k), rng.uniform(0.01, 1, k)
    pairs = zip(y.tolist(), v.tolist(), strict=True)
    lines = [f"S{i},{a!r},{b!r}" for i, (a, b) in enumerate(pairs)]
    path.write_text("study,yi,vi\n" + "\n".join(lines) + "\n", encoding="utf-8")


def test_many_studies_analyze_without_quadratic_memory(tmp_path, capsys):
    # F15: Begg's Kendall test is O(k log k) and trim-and-fill never forms a k x k matrix;
    # leave-one-out (k refits) says why it is not run. (100,000 rows: bench/ scale.)
    f = tmp_path / "synthetic_many.csv"
    _synthetic_csv(f, cli.LOO_MAX_K + 1000)
    assert main(["analyze", str(f), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["begg"]["exact"] is False
    assert "begg_normal_approximation_large_k" in data["begg"]["flags"]
    assert data["trimfill"]["k"] == cli.LOO_MAX_K + 1000
    assert data["leave_one_out"].startswith(f"not run: k = {cli.LOO_MAX_K + 1000} > ")


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "directory"])
def test_special_files_are_refused_at_once(tmp_path, kind):
    # F20: a FIFO is never waited on and a device never read. In a subprocess with a
    # timeout, so a regression fails instead of hanging.
    f = tmp_path / "input.csv"
    if kind == "fifo":
        os.mkfifo(f)
    elif kind == "dev_zero":
        f.symlink_to("/dev/zero")
    else:
        f.mkdir()
    proc = subprocess.run([sys.executable, "-m", "trialmeta.cli", "pool", str(f)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 2
    want = {"fifo": "a FIFO", "dev_zero": "a character device", "directory": "a directory"}
    assert f"input.csv: not a regular file (got {want[kind]}" in proc.stderr


def test_unexpected_failure_is_one_line_exit_3(monkeypatch, capsys):
    def boom(*args, **kwargs):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(cli, "pool", boom)
    case = CASES_DIR / "equal_variances.csv"
    assert main(["pool", str(case)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"trialmeta: error: {case}: internal error (got RuntimeError: synthetic "
        "failure, expected none; please report this input)"
    ]


def test_console_script_prints_no_traceback_on_extreme_input():
    proc = subprocess.run([sys.executable, "-m", "trialmeta.cli", "analyze",
                           str(CASES_DIR / "yi_1e200.csv")], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "not computable" in proc.stderr

"""A workflow script's fatal error is one located line in its log and on the console.

Reliability review F24 (a write failure gave `OSError: [Errno 27] File too large` with a
traceback in the log) and the promise of issue 12: a one-line located error, no traceback.
Each script runs in a subprocess with a stand-in for Snakemake's `snakemake` object.
"""

from __future__ import annotations

import errno
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

from trialmeta.errors import DataValidationError, InputError
from trialmeta.io.rule_log import describe

PROLOGUE = """
import sys, types
from trialmeta.io.rule_log import log_errors
smk = types.SimpleNamespace(log=[sys.argv[1]], output=[sys.argv[2]], rule="report_html")
log_errors(smk)
"""


def _run(tmp_path: Path, body: str, fsize: int | None = None) -> tuple[int, str, str, str]:
    script = tmp_path / "adapter.py"
    script.write_text(PROLOGUE + textwrap.dedent(body), encoding="utf-8")
    log, out = tmp_path / "rule.log", tmp_path / "report.html"

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    proc = subprocess.run([sys.executable, str(script), str(log), str(out)], text=True,
                          capture_output=True, preexec_fn=limit, timeout=120)  # fmt: skip
    return proc.returncode, proc.stdout, proc.stderr, log.read_text(encoding="utf-8")


def test_a_file_size_limit_is_one_line_naming_the_file(tmp_path):
    # what `ulimit -f` did to report.html in the audit (F24), through the package's writer
    rc, out, err, log = _run(tmp_path, """
        from trialmeta.io.jsonio import write_text
        write_text(smk.output[0], "x" * 200_000)
    """, fsize=50_000)  # fmt: skip
    expected = (
        f"trialmeta: error: {tmp_path / 'report.html'}: cannot write (got EFBIG, File "
        "too large, expected a file-size limit (ulimit -f) above the file's size)\n"
    )
    assert (rc, out, err) == (1, "", expected)
    assert log == expected


def test_a_nameless_write_error_names_the_rule_outputs(tmp_path):
    rc, _, err, log = _run(tmp_path, """
        import errno
        raise OSError(errno.ENOSPC, "No space left on device")
    """)  # fmt: skip
    assert rc == 1 and err == log
    assert err == (
        f"trialmeta: error: {tmp_path / 'report.html'}: cannot write (got ENOSPC, No "
        "space left on device, expected free space on its file system)\n"
    )


def test_located_problems_are_printed_one_per_line(tmp_path):
    rc, _, err, log = _run(tmp_path, """
        from trialmeta.errors import DataValidationError
        raise DataValidationError(["arms.csv:3:sd: not a number (got 'x', expected a number)",
                                   "arms.csv:4:n: missing value (got '', expected an integer)"])
    """)  # fmt: skip
    assert rc == 1 and err == log
    assert err.splitlines() == [
        "trialmeta: error: arms.csv:3:sd: not a number (got 'x', expected a number)",
        "trialmeta: error: arms.csv:4:n: missing value (got '', expected an integer)",
    ]


def test_a_bug_keeps_its_traceback_in_the_log_only(tmp_path):
    rc, _, err, log = _run(tmp_path, "1 / 0\n")
    assert rc == 1
    assert err == (
        "trialmeta: error: rule report_html: internal error (got ZeroDivisionError: "
        f"division by zero; the traceback is in {tmp_path / 'rule.log'}, expected "
        "none; please report this input)\n"
    )
    assert "Traceback (most recent call last)" in log and log.endswith(err)


def test_warnings_go_to_the_log_not_the_console(tmp_path):
    rc, _, err, log = _run(tmp_path, "import warnings; warnings.warn('k < 10')\n")
    assert (rc, err) == (0, "") and "UserWarning: k < 10" in log


def test_an_unwritable_log_is_one_line_on_the_console(tmp_path):
    script = tmp_path / "adapter.py"
    script.write_text(PROLOGUE, encoding="utf-8")
    missing = tmp_path / "no_such_dir" / "rule.log"
    proc = subprocess.run([sys.executable, str(script), str(missing), "out"], text=True,
                          capture_output=True, timeout=120)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr == (
        f"trialmeta: error: {missing}: cannot be used (got ENOENT, No such "
        "file or directory, expected an accessible file)\n"
    )


def test_describe_each_kind_of_error():
    assert describe(DataValidationError(["a.csv:2:x: bad (got 1, expected 2)"]), "r") == (
        ["a.csv:2:x: bad (got 1, expected 2)"],
        False,
    )
    assert describe(InputError("vi", -1.0, "a number > 0", row=0), "pool") == (
        ["rule pool: vi[0]: got -1.0, expected a number > 0"],
        False,
    )
    lines, bug = describe(PermissionError(errno.EACCES, "Permission denied", "results/x.csv"), "t")
    assert not bug and lines[0].startswith("results/x.csv: no permission (got EACCES,")
    lines, bug = describe(KeyError("x\ny"), "t", log="l.log")
    assert bug and lines == ["rule t: internal error (got KeyError: 'x\\ny'; the traceback is "
                             "in l.log, expected none; please report this input)"]  # fmt: skip

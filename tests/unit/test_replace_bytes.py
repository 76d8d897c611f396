"""Atomic writes of the binary report files (PDF, Word): io.outputs.replace_bytes."""

import os
import stat

from trialmeta.io.outputs import replace_bytes


def test_atomic_write_gives_the_usual_file_mode(tmp_path):
    # a temporary file from mkstemp is 0600; the renamed output must get the mode an
    # ordinary write gives (0666 minus the umask), like every other result file
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"x")
    out = replace_bytes(tmp_path / "sub" / "report.pdf", b"%PDF-1.7\n")
    assert out.read_bytes() == b"%PDF-1.7\n"
    assert stat.S_IMODE(os.stat(out).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)
    assert [p.name for p in out.parent.iterdir()] == ["report.pdf"]  # no temporary left


def test_atomic_write_replaces_an_existing_file(tmp_path):
    target = tmp_path / "a.docx"
    target.write_bytes(b"old")
    replace_bytes(target, b"new")
    assert target.read_bytes() == b"new"

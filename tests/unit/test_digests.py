"""Checksums of intermediate results (reliability review F8): the producer's sidecar, the
consumer's check, one located line for every way a file can differ (synthetic files)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from trialmeta.errors import IntermediateError, TrialmetaError
from trialmeta.io.digests import (
    SNAKEMAKE_MARKER,
    digest_path,
    file_digests,
    seal,
    verified,
    write_digest,
)
from trialmeta.io.provenance import collect_provenance, result_hashes

SYNTHETIC_CSV = (
    "analysis_id,study_id,yi,vi\nsynthetic__a,SynA,-1.5,0.25\nsynthetic__a,SynB,-0.5,0.5\n"
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def sealed_csv(tmp_path: Path) -> Path:
    path = tmp_path / "results" / "comparisons.csv"
    path.parent.mkdir()
    path.write_text(SYNTHETIC_CSV, encoding="utf-8")
    write_digest(path)
    return path


@pytest.fixture
def sealed_dir(tmp_path: Path) -> Path:
    d = tmp_path / "results" / "figures" / "pain_eot"
    (d / "sub").mkdir(parents=True)
    (d / "forest__a.png").write_bytes(b"synthetic png")
    (d / "forest__a.csv").write_text("x\n1\n", encoding="utf-8")
    (d / "sub" / "deep.svg").write_text("<svg/>\n", encoding="utf-8")
    write_digest(d)
    return d


def test_sidecar_is_in_sha256sum_format(sealed_csv):
    side = digest_path(sealed_csv)
    assert side.name == "comparisons.csv.sha256"
    assert side.read_text(encoding="utf-8") == f"{_sha(SYNTHETIC_CSV)}  comparisons.csv\n"
    tool = shutil.which("sha256sum")
    if tool is not None:  # the documented manual check works as written
        check = subprocess.run([tool, "-c", side.name], cwd=side.parent, capture_output=True,
                               text=True)  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr


def test_a_directory_lists_each_file_relative_to_its_parent_without_the_marker(sealed_dir):
    (sealed_dir / SNAKEMAKE_MARKER).write_text("", encoding="utf-8")  # Snakemake touches it later
    names = [line.split("  ", 1)[1] for line in
             digest_path(sealed_dir).read_text(encoding="utf-8").splitlines()]  # fmt: skip
    assert names == ["pain_eot/forest__a.csv", "pain_eot/forest__a.png", "pain_eot/sub/deep.svg"]
    assert verified(sealed_dir) == str(sealed_dir)
    assert list(file_digests(sealed_dir)) == names


def test_an_unchanged_file_passes_and_is_returned_for_the_reader(sealed_csv):
    assert verified(sealed_csv) == str(sealed_csv)
    assert verified(str(sealed_csv)) == str(sealed_csv)


def test_a_truncated_file_is_one_located_line(sealed_csv):
    # F8: a valid CSV with fewer rows than its rule wrote
    sealed_csv.write_text(SYNTHETIC_CSV.split("\n", 2)[0] + "\n" + SYNTHETIC_CSV.split("\n")[1]
                          + "\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(IntermediateError) as err:
        verified(sealed_csv)
    line = str(err.value)
    assert "\n" not in line
    assert re.fullmatch(
        rf"{re.escape(str(sealed_csv))}: changed after the rule that wrote it finished \(got "
        r"sha256 [0-9a-f]{12}…, expected "
        + _sha(SYNTHETIC_CSV)[:12]
        + r"… as recorded in "
        + re.escape(str(digest_path(sealed_csv)))
        + r"\); a rerun rebuilds it",
        line,
    ), line


def test_an_edited_cell_is_caught(sealed_csv):
    sealed_csv.write_text(SYNTHETIC_CSV.replace("-1.5", "-9.5"), encoding="utf-8")
    with pytest.raises(IntermediateError, match="changed after the rule that wrote it"):
        verified(sealed_csv)


def test_a_missing_sidecar_is_an_error_not_a_pass(sealed_csv):
    digest_path(sealed_csv).unlink()
    with pytest.raises(IntermediateError) as err:
        verified(sealed_csv)
    assert str(err.value) == (
        f"{sealed_csv}: no checksum beside it (got no {digest_path(sealed_csv)}, expected the "
        ".sha256 file the rule that wrote it writes with it)")  # fmt: skip


def test_a_malformed_sidecar_line_is_located(sealed_csv):
    side = digest_path(sealed_csv)
    side.write_text(side.read_text(encoding="utf-8") + "not a digest\n", encoding="utf-8")
    with pytest.raises(IntermediateError) as err:
        verified(sealed_csv)
    assert str(err.value) == (f"{side}:2: not a checksum line (got 'not a digest', expected "
                              "'<64 hex digits>  <file name>')")  # fmt: skip


def test_a_missing_file_is_named(sealed_csv):
    sealed_csv.unlink()
    with pytest.raises(IntermediateError, match=r"comparisons\.csv: missing \(got no file"):
        verified(sealed_csv)


@pytest.mark.parametrize("change, message", [
    ("edit", r"pain_eot/forest__a\.csv: changed after the rule that wrote it finished"),
    ("remove", r"pain_eot/sub/deep\.svg: missing \(got no file, expected the file listed in"),
    ("add", r"pain_eot/zz\.png: not written by its rule \(got a file, expected only those in"),
])  # fmt: skip
def test_a_directory_with_a_changed_missing_or_extra_file(sealed_dir, change, message):
    if change == "edit":
        (sealed_dir / "forest__a.csv").write_text("x\n2\n", encoding="utf-8")
    elif change == "remove":
        (sealed_dir / "sub" / "deep.svg").unlink()
    else:
        (sealed_dir / "zz.png").write_bytes(b"another")
    with pytest.raises(IntermediateError, match=message):
        verified(sealed_dir)


def test_seal_writes_only_the_declared_sidecars(tmp_path):
    done = tmp_path / "pooled.csv"  # a final table: no sidecar declared
    inter = tmp_path / "analyses.json"
    done.write_text("a\n1\n", encoding="utf-8")
    inter.write_text("{}\n", encoding="utf-8")
    written = seal([str(done), str(inter), str(inter) + ".sha256"])
    assert written == [digest_path(inter)]
    assert not digest_path(done).exists()
    assert verified(inter) == str(inter)


def test_the_error_is_a_trialmeta_error_so_the_rule_log_prints_one_line(sealed_csv):
    from trialmeta.io.rule_log import describe

    sealed_csv.write_text("", encoding="utf-8")
    with pytest.raises(TrialmetaError) as err:
        verified(sealed_csv)
    lines, bug = describe(err.value, "fit_outcome", ["results/fits/pain_eot.json"])
    assert not bug and len(lines) == 1
    assert lines[0].startswith(f"rule fit_outcome: {sealed_csv}: changed after")


def test_provenance_records_the_hash_of_every_result_file(sealed_csv, sealed_dir, tmp_path):
    rows = result_hashes([sealed_dir, sealed_csv], workdir=tmp_path)
    assert [r["path"] for r in rows] == [
        "results/comparisons.csv",
        "results/figures/pain_eot/forest__a.csv",
        "results/figures/pain_eot/forest__a.png",
        "results/figures/pain_eot/sub/deep.svg",
    ]
    assert rows[0]["sha256"] == _sha(SYNTHETIC_CSV)
    prov = collect_provenance([], [], {}, repo_dir=tmp_path, workdir=tmp_path,
                              results=[sealed_csv, sealed_dir])  # fmt: skip
    assert prov["results"] == rows
    sealed_csv.write_text(SYNTHETIC_CSV[:-10], encoding="utf-8")  # a changed intermediate
    again = collect_provenance([], [], {}, repo_dir=tmp_path, workdir=tmp_path,
                               results=[sealed_csv, sealed_dir])  # fmt: skip
    assert again["results"] != prov["results"]  # never certifies different results as same

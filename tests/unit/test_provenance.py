"""Tests of the provenance block and stale-result removal (synthetic files)."""

import hashlib

from trialmeta.io.provenance import collect_provenance, remove_stale_results, sha256_file


def test_sha256_and_relative_sorted_paths(tmp_path):
    (tmp_path / "data").mkdir()
    b = tmp_path / "data" / "b.csv"
    a = tmp_path / "data" / "a.csv"
    b.write_text("synthetic b\n")
    a.write_text("synthetic a\n")
    cfg = tmp_path / "config.yaml"
    cfg.write_text("synthetic: true\n")
    assert sha256_file(a) == hashlib.sha256(b"synthetic a\n").hexdigest()
    prov = collect_provenance(
        [b, a], [cfg], {"synthetic": True}, repo_dir=tmp_path, workdir=tmp_path
    )
    assert [f["path"] for f in prov["inputs"]] == ["data/a.csv", "data/b.csv"]
    assert prov["rerun"] == "snakemake --cores 2 --configfile config.yaml"
    assert prov["git"]["commit"] == "unknown" or len(prov["git"]["commit"]) == 40
    assert "python" in prov["packages"] and "numpy" in prov["packages"]
    again = collect_provenance([a, b], [cfg], {"synthetic": True}, tmp_path, tmp_path)
    assert again == prov


def test_remove_stale_results_keeps_logs_and_benchmarks(tmp_path):
    res = tmp_path / "results"
    for d in ("logs", "benchmarks", "effects", "figures"):
        (res / d).mkdir(parents=True)
    (res / "pooled.csv").write_text("x\n")
    (res / "logs" / "a.log").write_text("log\n")
    removed = remove_stale_results(res)
    assert removed == ["effects", "figures", "pooled.csv"]
    assert sorted(p.name for p in res.iterdir()) == ["benchmarks", "logs"]
    assert (res / "logs" / "a.log").is_file()
    assert remove_stale_results(tmp_path / "missing") == []

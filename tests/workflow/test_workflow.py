"""End-to-end runs of the Snakemake workflow on SYNTHETIC sheets (tests/workflow/).

Two independent runs in temporary directories (`snakemake --cores 2`) must
produce the output contract, byte-identical text outputs, escaped HTML and
guarded CSV cells; a run on invalid data must write nothing and remove stale
results. Every number checked against the core is recomputed here with
``trialmeta.pool`` from the written effect files.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from _snakemake import HERE, TIMEOUT, prepare, snakemake_command

import trialmeta

CONTRACT_COLUMNS = ["analysis_id", "outcome", "comparison", "subgroup", "k", "n_participants",
                    "method", "test", "estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub",
                    "tau2", "i2_percent", "q", "q_pval", "certainty"]  # fmt: skip
DETERMINISTIC_SUFFIXES = {".csv", ".json", ".md", ".html", ".svg", ".docx", ".pdf"}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_output_contract(runs):
    res = runs[0] / "results"
    for name in (
        "pooled.csv",
        "comparisons.csv",
        "summary_of_findings.csv",
        "summary_of_findings.md",
        "summary_of_findings.docx",
        "limitations.md",
        "report.html",
        "report.pdf",
        "provenance.json",
        "figures/prisma/prisma.svg",
    ):
        assert (res / name).is_file(), name
    rows = _rows(res / "pooled.csv")
    assert list(rows[0])[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    ids = [r["analysis_id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert {
        "pain_eot__sham",
        "pain_eot__usual_care",
        "pain_eot__active",
        "pain_eot__any",
        "odi_eot__sham",
    } <= set(ids)
    for aid in ids:
        eff = res / "effects" / f"{aid}.csv"
        assert eff.is_file(), aid
        header = next(csv.reader(open(eff, encoding="utf-8")))
        assert header[:5] == ["analysis_id", "study_id", "yi", "vi", "weight_percent"]
    for sub in ("pain_eot", "odi_eot", "risk_of_bias"):
        assert list((res / "figures" / sub).glob("*.png")), sub
    for png in (res / "figures").glob("*_eot/*.png"):  # the data behind every plot
        assert png.with_suffix(".csv").is_file(), png.name
        assert png.with_suffix(".svg").is_file() and png.with_suffix(".pdf").is_file()
    assert (res / "figures" / "pain_eot" / "forest__pain_eot__sham.png").is_file()
    assert (res / "figures" / "pain_eot" / "tsa__pain_eot__sham.png").is_file()
    for rule_log in ("prepare_data", "tables", "report_html"):
        assert (res / "logs" / f"{rule_log}.log").is_file()
        assert (res / "benchmarks" / f"{rule_log}.tsv").is_file()


def test_coverage_gosh_and_permutation_outputs(runs):
    res = runs[0] / "results"
    cov = _rows(res / "coverage.csv")
    assert {r["test"] for r in cov} == {"z", "knha"} and {r["n_sim"] for r in cov} == {"500"}
    assert "pain_eot__sham" in {r["analysis_id"] for r in cov}
    gosh = _rows(res / "gosh.csv")
    assert {r["analysis_id"] for r in gosh} == {r["analysis_id"] for r in cov}
    assert any(r["driver"] == "true" for r in gosh)
    assert (res / "figures" / "pain_eot" / "gosh__pain_eot__sham.png").is_file()
    subgroups = _rows(res / "subgroups.csv")
    assert all(0 < float(r["perm_pval"]) <= 1 for r in subgroups if r["perm_pval"])
    assert any(r["perm_pval"] for r in subgroups)
    metareg = [r for r in _rows(res / "metaregression.csv") if r["run"] == "true"]
    assert metareg and all(r["perm_pval"] and r["perm_exact"] for r in metareg)
    md = (res / "limitations.md").read_text(encoding="utf-8")
    assert "Coverage simulation: With 3 trials of this size, a nominal 95% CI" in md
    assert "GOSH (DL, all 7 subsets of 3 trials)" in md
    html = (res / "report.html").read_text(encoding="utf-8")
    assert "CI coverage (%)" in html and "permutation P = " in html


def test_pooled_numbers_equal_core(runs):
    res = runs[0] / "results"
    for row in _rows(res / "pooled.csv"):
        if row["analysis_type"] != "main" or row["status"] != "pooled":
            continue
        eff = _rows(res / "effects" / f"{row['analysis_id']}.csv")
        fit = trialmeta.pool(
            [float(r["yi"]) for r in eff],
            [float(r["vi"]) for r in eff],
            method=row["method"],
            test=row["test"],
        )
        assert float(row["estimate"]) == pytest.approx(fit.estimate, rel=1e-8, abs=1e-9)
        assert float(row["ci_lb"]) == pytest.approx(fit.ci_lb, rel=1e-8, abs=1e-9)
        assert float(row["tau2"]) == pytest.approx(fit.tau2, rel=1e-8, abs=1e-9)
        assert int(row["k"]) == fit.k
        weights = [float(r["weight_percent"]) for r in eff]
        assert weights == pytest.approx(list(fit.weights_percent), rel=1e-8)


def test_small_cells_are_reported_not_crashed(runs):
    rows = {r["analysis_id"]: r for r in _rows(runs[0] / "results" / "pooled.csv")}
    assert rows["pain_eot__active"]["status"] == "not estimable (k = 1)"
    assert rows["pain_eot__active"]["estimate"] == ""
    # a single trial is rated on its own result, as GRADEpro does (no pooled estimate)
    assert rows["pain_eot__active"]["certainty"] in ("High", "Moderate", "Low", "Very low")
    assert rows["pain_eot__sham"]["status"] == "pooled"
    assert rows["pain_eot__sham"]["method"] == "REML" and rows["pain_eot__sham"]["test"] == "knha"


def test_outputs_are_byte_identical_across_runs(runs):
    a, b = (d / "results" for d in runs)
    files = sorted(p.relative_to(a) for p in a.rglob("*")
                   if p.is_file() and p.suffix in DETERMINISTIC_SUFFIXES
                   and p.relative_to(a).parts[0] not in ("logs", "benchmarks"))  # fmt: skip
    assert len(files) > 20
    differing = [str(f) for f in files if (a / f).read_bytes() != (b / f).read_bytes()]
    assert differing == []
    assert {
        p.relative_to(b)
        for p in b.rglob("*")
        if p.suffix in DETERMINISTIC_SUFFIXES
        and p.relative_to(b).parts[0] not in ("logs", "benchmarks")
    } == set(files)


def test_the_first_run_ran_every_script_job_in_the_warm_worker(runs):
    """trialmeta.io.worker: one log line per job it ran; the second run (off) has none."""
    with_worker, without = runs
    lines = (with_worker / ".snakemake" / "trialmeta" / "worker.log").read_text().splitlines()
    jobs = [p for p in (with_worker / "results" / "benchmarks").rglob("*.tsv")]
    assert len(lines) == len(jobs) > 20
    assert all(line.endswith(".py: exit status 0") for line in lines)
    assert not (without / ".snakemake" / "trialmeta" / "worker.log").exists()


def test_report_escapes_data_and_is_self_contained(runs):
    html = (runs[0] / "results" / "report.html").read_text(encoding="utf-8")
    assert "Synthetic &lt;script&gt;alert(1)&lt;/script&gt; Author" in html
    assert "<script" not in html.lower()
    assert 'src="http' not in html and "<link" not in html
    assert "data:image/svg+xml;base64," not in html and html.count("<svg") >= 4  # inline SVG
    for section in (
        "1. Key findings",
        "2. Summary of findings",
        "3. Included studies",
        "4. Risk of bias in included studies",
        "5. Results per comparison",
        "6. Limitations",
        "7. Appendices",
        "D. References to the trials",
        "E. Reproducibility",
    ):
        assert section in html
    assert "IntHout" in html and "External source" in html
    assert "SYNTHETIC override to exercise the printed-reason path" in html


def test_csv_cells_are_guarded(runs):
    res = runs[0] / "results"
    notes = [r["notes"] for r in _rows(res / "effects" / "pain_eot__sham.csv")
             if r["study_id"] == "SyntheticC"]  # fmt: skip
    assert notes == ["'-SYNTHETIC note starting with a minus sign (CSV guard probe)"]
    assert any(float(r["yi"]) < 0 for r in _rows(res / "effects" / "pain_eot__sham.csv"))


def test_provenance_block(runs):
    prov = json.loads((runs[0] / "results" / "provenance.json").read_text(encoding="utf-8"))
    paths = [f["path"] for f in prov["inputs"]]
    assert paths == sorted(paths) and "data/arms.csv" in paths
    assert all(len(f["sha256"]) == 64 for f in prov["inputs"])
    assert prov["rerun"] == "snakemake --cores 2 --configfile config/config.yaml"
    assert prov["packages"]["trialmeta"] == trialmeta.__version__
    assert prov["config"]["model"]["method"] == "REML"


def test_noop_rerun_and_snakemake_report(runs):
    d = runs[0]
    dry = subprocess.run(snakemake_command("-n", "--cores", "2"), cwd=d, capture_output=True,
                         text=True, timeout=TIMEOUT)  # fmt: skip
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr
    rep = subprocess.run(snakemake_command("--report", "results/report.zip"), cwd=d,
                         capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    assert rep.returncode == 0, rep.stderr[-3000:]
    with zipfile.ZipFile(d / "results" / "report.zip") as zf:
        assert any(n.endswith("report.html") for n in zf.namelist())


def test_invalid_data_writes_nothing_and_removes_stale_results(runs, tmp_path):
    d = tmp_path / "invalid"
    shutil.copytree(runs[1], d, ignore=shutil.ignore_patterns(".snakemake"))
    arms = d / "data" / "arms.csv"
    text = arms.read_text(encoding="utf-8").replace("SYNTHETIC test data", "=1+1", 1)
    arms.write_text(text, encoding="utf-8")
    run = subprocess.run(snakemake_command("--cores", "2"), cwd=d, capture_output=True, text=True,
                         timeout=TIMEOUT)  # fmt: skip
    assert run.returncode != 0
    res = d / "results"
    left = sorted(p.name for p in res.iterdir())
    assert left == ["benchmarks", "logs"]
    log = (res / "logs" / "prepare_data.log").read_text(encoding="utf-8")
    assert "spreadsheet formula" in log and "removed stale results" in log


def _csv_sheets_to_workbook(data: Path, book: Path) -> None:
    """The sheets of ``data`` as the tabs of one .xlsx workbook, every cell as its text."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in sorted(data.glob("*.csv")):
        ws = wb.create_sheet(sheet.stem)
        with open(sheet, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                ws.append(row)
    wb.save(book)


def test_workbook_as_data_dir_gives_the_same_review(runs, tmp_path):
    # Review F26: data_dir may name one .xlsx workbook holding the sheets as tabs (as
    # `trialmeta validate` and data/README.md say); the results equal the CSV run's.
    d = prepare(tmp_path / "workbook")
    _csv_sheets_to_workbook(d / "data", d / "data.xlsx")
    shutil.move(d / "data" / "vocabulary.yaml", d / "vocabulary.yaml")  # beside the workbook
    shutil.rmtree(d / "data")
    cfg = d / "config" / "config.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("data_dir: data\n",
                                                           "data_dir: data.xlsx\n"),
                   encoding="utf-8")  # fmt: skip
    run = subprocess.run(snakemake_command("--cores", "2"), cwd=d, capture_output=True, text=True,
                         timeout=TIMEOUT)  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    a, b = runs[0] / "results", d / "results"
    # these name the input files and their digests (the PDF prints the report)
    naming_inputs = {"validation.json", "provenance.json", "report.html", "report.pdf"}
    files = sorted(p.relative_to(a) for p in a.rglob("*")
                   if p.is_file() and p.suffix in DETERMINISTIC_SUFFIXES
                   and p.relative_to(a).parts[0] not in ("logs", "benchmarks")
                   and p.name not in naming_inputs)  # fmt: skip
    assert len(files) > 20
    assert [str(f) for f in files if (a / f).read_bytes() != (b / f).read_bytes()] == []
    prov = json.loads((b / "provenance.json").read_text(encoding="utf-8"))
    assert any(f["path"] == "data.xlsx" for f in prov["inputs"])
    assert any(f["path"] == "vocabulary.yaml" for f in prov["inputs"])


def test_missing_vocabulary_stops_the_review(tmp_path):
    # a data directory without its vocabulary.yaml never runs on the first review's codes
    d = prepare(tmp_path / "novocabulary")
    (d / "data" / "vocabulary.yaml").unlink()
    run = subprocess.run(snakemake_command("--cores", "2"), cwd=d, capture_output=True, text=True,
                         timeout=TIMEOUT)  # fmt: skip
    assert run.returncode != 0
    assert sorted(p.name for p in (d / "results").iterdir()) == ["benchmarks", "logs"]
    log = (d / "results" / "logs" / "prepare_data.log").read_text(encoding="utf-8")
    assert "data/vocabulary.yaml: missing (got no such file, expected the review's codes" in log


def test_config_code_missing_from_the_vocabulary_stops_the_review(tmp_path):
    # the config schema only sees the shape of a code; the vocabulary says which exist
    d = prepare(tmp_path / "typo")
    cfg = d / "config" / "config.yaml"
    text = cfg.read_text(encoding="utf-8")
    assert "target_population: SIJ" in text
    cfg.write_text(
        text.replace("target_population: SIJ", "target_population: SJI"), encoding="utf-8"
    )
    run = subprocess.run(snakemake_command("--cores", "2"), cwd=d, capture_output=True, text=True,
                         timeout=TIMEOUT)  # fmt: skip
    assert run.returncode != 0
    log = (d / "results" / "logs" / "prepare_data.log").read_text(encoding="utf-8")
    assert "config:target_population: not one of the vocabulary.yaml populations (got 'SJI'" in log


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_report_renders_in_headless_chromium(runs, tmp_path):
    report = runs[0] / "results" / "report.html"
    shot = tmp_path / "report.png"
    subprocess.run([str(HERE / "screenshot_report.sh"), str(report), str(shot)], check=True,
                   timeout=300, capture_output=True)  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                          "--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=300, check=True).stdout  # fmt: skip
    assert "2. Summary of findings" in dom
    assert "<script" not in dom.lower()


def test_figures_show_no_raw_identifiers(runs):
    # report review 1.5: ids such as usual_care or a study id never reach a figure
    import yaml

    from trialmeta.report.labels import identifiers
    from trialmeta.report.rendered_text import find_raw_identifiers, svg_text
    from trialmeta.report.sheet_labels import sheet_labels

    config = yaml.safe_load((runs[0] / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["data_dir"] = str(runs[0] / config.get("data_dir", "data"))
    labels, _ = sheet_labels(config)
    ids = identifiers(labels)
    svgs = sorted((runs[0] / "results" / "figures").rglob("*.svg"))
    assert svgs
    hits = {p.name: find_raw_identifiers(svg_text(p.read_text(encoding="utf-8")), ids)
            for p in svgs}  # fmt: skip
    assert {k: v for k, v in hits.items() if v} == {}

"""What a config edit reruns: each rule takes only its slice of the config (params), so a
dry run after an edit lists only the rules that read the edited key (SYNTHETIC review).

Measured on the shipped review before the slices (every rule had ``params: config``), a
``title:`` edit reran 13 jobs including the four simulation-heavy ``analyse_outcome`` jobs;
now it reruns provenance and the HTML report only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _snakemake import TIMEOUT, planned_jobs, snakemake_command

# the report: provenance, the HTML and its printed PDF
REPORT_ONLY = {"provenance": 1, "report_html": 1, "report_pdf": 1, "all": 1}


@pytest.fixture
def done(runs, tmp_path) -> Path:
    """A copy of a finished run (outputs, their times and Snakemake's metadata)."""
    d = tmp_path / "done"
    shutil.copytree(runs[0], d, symlinks=True)
    assert planned_jobs(d) == {}
    return d


def _edit(workdir: Path, old: str, new: str) -> None:
    cfg = workdir / "config" / "config.yaml"
    text = cfg.read_text(encoding="utf-8")
    assert old in text
    cfg.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_title_edit_reruns_only_the_report_rules(done):
    _edit(done, 'title: "SYNTHETIC test review (not real trials)"',
          'title: "SYNTHETIC test review, retitled"')
    assert planned_jobs(done) == REPORT_ONLY


def test_one_mcid_edit_reruns_that_outcomes_certainty_figures_tables_and_report(done):
    # pain_eot's MCID (15 -> 12): its GRADE/TSA (rule certainty), its figures (the forest
    # plot draws the MCID line, the TSA plot the RIS from it), the tables, the Summary of
    # Findings (its comments state the MCID), the limitations and the report; no fit,
    # simulation, PRISMA figure or other outcome reruns
    _edit(done, 'mcid: {value: 15, citation: "synthetic threshold for tests"}',
          'mcid: {value: 12, citation: "synthetic threshold for tests"}')
    assert planned_jobs(done) == {
        "certainty": 1, "outcome_figures": 1, "tables": 1, "summary_of_findings": 1,
        "limitations": 1, **REPORT_ONLY}
    run = subprocess.run(snakemake_command("-n", "--cores", "2", "--quiet", "reason"),
                         cwd=done, capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    outputs = [path for line in re.findall(r"output: (.+)", run.stdout + run.stderr)
               for path in line.split(", ")]  # a job's outputs, checksums included
    assert "results/analyses/pain_eot.json" in outputs
    assert "results/figures/pain_eot" in outputs
    assert "results/analyses/odi_eot.json" not in outputs


def test_simulation_setting_reruns_only_its_own_rule(done):
    # permutations 500 -> 400: the permutation rule of every outcome and what reads it
    _edit(done, "permutations: 500", "permutations: 400")
    jobs = planned_jobs(done)
    assert jobs["permutation"] == 2 and "coverage" not in jobs and "gosh" not in jobs
    assert "fit_outcome" not in jobs and "prepare_data" not in jobs


def test_package_code_change_reruns_the_rules_that_run_it(done, monkeypatch, tmp_path):
    # the params of every rule include a digest of the trialmeta source its script runs:
    # a changed report module reruns the report-side rules, never a fit
    import trialmeta.io.code_digest as cd

    src = tmp_path / "src"
    shutil.copytree(Path(cd.__file__).parents[1], src / "trialmeta")
    (src / "trialmeta" / "report" / "limitations.py").write_text(
        (src / "trialmeta" / "report" / "limitations.py").read_text(encoding="utf-8")
        + "\n# synthetic edit\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(src))
    jobs = planned_jobs(done)
    assert "limitations" in jobs and "report_html" in jobs
    assert not {"fit_outcome", "coverage", "gosh", "permutation", "prepare_data"} & set(jobs)

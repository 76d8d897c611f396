"""What an edit reruns (SYNTHETIC review).

A config edit: each rule takes only its slice of the config (params), so a dry run after an
edit lists only the rules that read the edited key. Measured on the shipped review before the
slices (every rule had ``params: config``), a ``title:`` edit reran 13 jobs including the four
simulation-heavy ``analyse_outcome`` jobs; now it reruns provenance and the HTML report only.

A data edit: checkpoint ``prepare_data`` writes one input file per outcome, and Snakemake
decides after it which jobs rerun, so a dry run cannot tell; these tests run Snakemake and
read the jobs it ran from its console. Before (one comparisons.csv read by every fit, the
sheets read by every figure job), one changed number reran every outcome's fit, simulations,
certainty and figures.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from _review_copy import outputs
from _snakemake import TIMEOUT, planned_jobs, prepare, snakemake_command

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
    _edit(
        done,
        'title: "SYNTHETIC test review (not real trials)"',
        'title: "SYNTHETIC test review, retitled"',
    )
    assert planned_jobs(done) == REPORT_ONLY


def test_one_mcid_edit_reruns_that_outcomes_certainty_figures_tables_and_report(done):
    # pain_eot's MCID (15 -> 12): its GRADE/TSA (rule certainty), its figures (the forest
    # plot draws the MCID line, the TSA plot the RIS from it), the tables, the Summary of
    # Findings (its comments state the MCID), the limitations and the report; no fit,
    # simulation, PRISMA figure or other outcome reruns
    _edit(
        done,
        'mcid: {value: 15, citation: "synthetic threshold for tests"}',
        'mcid: {value: 12, citation: "synthetic threshold for tests"}',
    )
    assert planned_jobs(done) == {
        "certainty": 1,
        "outcome_figures": 1,
        "tables": 1,
        "summary_of_findings": 1,
        "limitations": 1,
        **REPORT_ONLY,
    }
    run = subprocess.run(snakemake_command("-n", "--cores", "2", "--quiet", "reason"),
                         cwd=done, capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    outputs = [
        path
        for line in re.findall(r"output: (.+)", run.stdout + run.stderr)
        for path in line.split(", ")
    ]  # a job's outputs, checksums included
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
        + "\n# synthetic edit\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PYTHONPATH", str(src))
    jobs = planned_jobs(done)
    assert "limitations" in jobs and "report_html" in jobs
    assert not {"fit_outcome", "coverage", "gosh", "permutation", "prepare_data"} & set(jobs)


PER_OUTCOME = ("fit_outcome", "coverage", "gosh", "permutation", "certainty", "outcome_figures")
#: What reads the sheets or comparisons.csv whole: reruns on any data edit.
DATA_SIDE = {
    "prepare_data": 1,
    "risk_of_bias_figures": 1,
    "prisma_figure": 1,
    "tables": 1,
    "summary_of_findings": 1,
    "limitations": 1,
    **REPORT_ONLY,
}
_JOB = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")


def _set_arm_cell(
    workdir: Path, study: str, outcome: str, timepoint: str, column: str, value: str
) -> None:
    """Set ``column`` of every arms.csv row of ``study`` × ``outcome`` × ``timepoint``."""
    sheet = workdir / "data" / "arms.csv"
    with sheet.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    where = (head.index("outcome"), head.index("timepoint_weeks"))
    hits = [r for r in rows[1:] if (r[0], r[where[0]], r[where[1]]) == (study, outcome, timepoint)]
    assert hits, (study, outcome, timepoint)
    for r in hits:
        assert r[head.index(column)] != value
        r[head.index(column)] = value
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _run_jobs(workdir: Path) -> Counter[tuple[str, str]]:
    """Run ``snakemake --cores 2``; (rule, outcome or "") of every job it ran, from its console."""
    run = subprocess.run(snakemake_command("--cores", "2"), cwd=workdir, capture_output=True,
                         text=True, timeout=TIMEOUT)  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    jobs: Counter[tuple[str, str]] = Counter()
    rule = None
    for line in (run.stdout + run.stderr).splitlines():
        if m := _JOB.match(line):
            if rule:
                jobs[(rule, "")] += 1
            rule = m.group(1)
        elif rule and (w := re.match(r"\s+wildcards: outcome=(\w+)$", line)):
            jobs[(rule, w.group(1))] += 1
            rule = None
        elif rule and not line.strip():
            jobs[(rule, "")] += 1
            rule = None
    if rule:
        jobs[(rule, "")] += 1
    return jobs


def _by_rule(jobs: Counter[tuple[str, str]]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for (rule, _), n in jobs.items():
        out[rule] += n
    return dict(out)


def _cold_run_matches(edited: Path, tmp_path: Path, edit) -> None:
    """A cold run on the edited sheets writes the same bytes as the incremental rerun."""
    cold = prepare(tmp_path / "cold")
    edit(cold)
    run = subprocess.run(snakemake_command("--cores", "2"), cwd=cold, capture_output=True,
                         text=True, timeout=TIMEOUT)  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert outputs(edited) == outputs(cold)


def _sd_edit(workdir: Path) -> None:
    # SYNTHETIC: SyntheticB's pain SDs at week 8 enter pain_eot only (odi_eot reads the ODI rows)
    _set_arm_cell(workdir, "SyntheticB", "pain", "8", "sd", "21")


def test_a_number_edit_of_one_trial_reruns_only_the_outcomes_it_enters(done, tmp_path):
    _sd_edit(done)
    jobs = _run_jobs(done)
    per_outcome = {(r, o) for r, o in jobs if r in PER_OUTCOME}
    assert per_outcome == {(r, "pain_eot") for r in PER_OUTCOME}, jobs
    assert _by_rule(jobs) == {**DATA_SIDE, **{r: 1 for r in PER_OUTCOME}}
    _cold_run_matches(done, tmp_path, _sd_edit)  # no stale result of the old number


def _notes_edit(workdir: Path) -> None:
    # SYNTHETIC: a note of SyntheticB's pain rows, which travels into comparisons.csv
    _set_arm_cell(workdir, "SyntheticB", "pain", "8", "notes", "SYNTHETIC note, edited")


def test_a_notes_edit_reruns_no_analysis_and_reaches_the_effect_tables(done, tmp_path):
    _notes_edit(done)
    jobs = _run_jobs(done)
    assert _by_rule(jobs) == DATA_SIDE, jobs  # no fit, simulation, certainty or figure
    tables = "".join(
        p.read_text(encoding="utf-8")
        for p in sorted((done / "results" / "effects").glob("pain_eot__*.csv"))
    )
    assert "SYNTHETIC note, edited" in tables
    _cold_run_matches(done, tmp_path, _notes_edit)


def test_a_dry_run_after_a_data_edit_lists_the_jobs_after_the_checkpoint(done):
    # before prepare_data has run Snakemake cannot know which outcomes' inputs change
    _sd_edit(done)
    jobs = planned_jobs(done)
    assert jobs["prepare_data"] == 1
    assert all(jobs[r] == 2 for r in PER_OUTCOME), jobs

"""Corrupted intermediates (reliability review F8), on real runs of the SYNTHETIC review.

Before: a truncated ``results/comparisons.csv`` (a valid CSV with fewer rows) rebuilt a
different review with exit 0 and an unchanged ``provenance.json``; a truncated analysis JSON
gave tracebacks and left the old ``report.html``. Now every intermediate carries a
``.sha256`` written by its rule and checked by every rule that reads it
(:mod:`trialmeta.io.digests`), and ``provenance.json`` records the hash of every result.

- a truncated ``comparisons.csv`` or analysis JSON: the rerun stops with one located line
  per failed job, no traceback, no result left; the next plain run rebuilds the review byte
  for byte;
- ``provenance.json`` lists every result file with its hash, and every sidecar checks;
- every workflow script opens each intermediate it reads through ``verified`` (read from
  the scripts' source, so a new reader cannot skip the check).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

from _review_copy import ROOT, copy_run, left_in_results, logs_text, outputs, run

from trialmeta.io.digests import SNAKEMAKE_MARKER, SUFFIX, verified

ERROR = "trialmeta: error: "
CHANGED = (r"trialmeta: error: rule (?P<rule>\w+): {path}: changed after the rule that wrote "
           r"it finished \(got sha256 [0-9a-f]{{12}}…, expected [0-9a-f]{{12}}… as recorded in "
           r"{path}\.sha256\); a rerun rebuilds it")  # fmt: skip
#: Inputs of the scripts that are sheets or config files (sources, not intermediates).
SOURCES = {"sheets", "arms", "rob", "studies", "vocabulary", "configs"}
#: Whole ``snakemake.input`` objects handed to functions that read only the sheets in it.
READS_SHEETS_ONLY = {"sheet_labels", "sheet_vocabulary"}


def _error_lines(console: str) -> list[str]:
    return [line for line in console.splitlines() if line.startswith(ERROR)]


def _truncate_rows(path: Path, keep: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) > keep + 1
    path.write_text("".join(lines[: keep + 1]), encoding="utf-8")


def test_a_truncated_comparisons_table_stops_the_run_and_the_next_run_rebuilds_it(
    good_run, tmp_path
):
    d = copy_run(good_run, tmp_path / "review")
    _truncate_rows(d / "results" / "comparisons.csv", keep=7)  # a valid CSV, fewer rows
    failed = run(d)
    assert failed.returncode != 0
    errors = _error_lines(failed.stdout)
    assert errors and all(re.fullmatch(CHANGED.format(path=r"results/comparisons\.csv"), e)
                          for e in errors), errors  # fmt: skip
    assert "Traceback" not in failed.stdout and "Traceback" not in logs_text(d)
    assert left_in_results(d) == ["benchmarks", "logs"]  # no review built from the table
    rebuilt = run(d)
    assert rebuilt.returncode == 0, rebuilt.stdout[-6000:]
    assert outputs(d) == outputs(good_run)  # the review of the sheets, provenance included


def test_a_truncated_analysis_json_stops_the_run_and_leaves_no_old_report(good_run, tmp_path):
    d = copy_run(good_run, tmp_path / "review")
    path = d / "results" / "analyses" / "pain_eot.json"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # not even valid JSON any more
    failed = run(d)
    assert failed.returncode != 0
    errors = _error_lines(failed.stdout)
    pattern = CHANGED.format(path=r"results/analyses/pain_eot\.json")
    assert errors and all(re.fullmatch(pattern, e) for e in errors), errors
    assert "Traceback" not in failed.stdout and "Traceback" not in logs_text(d)
    assert left_in_results(d) == ["benchmarks", "logs"]  # the old report.html is gone too


def _result_files(res: Path) -> dict[str, str]:
    """Every result file under ``res`` (not logs, benchmarks, checksums, Snakemake's
    markers, nor provenance.json and the report written from it) → its SHA-256."""
    skipped = {"provenance.json", "report.html", "report.pdf"}
    return {f"results/{p.relative_to(res).as_posix()}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(res.rglob("*")) if p.is_file()
            and p.relative_to(res).parts[0] not in ("logs", "benchmarks")
            and p.name != SNAKEMAKE_MARKER and not p.name.endswith(SUFFIX)
            and p.relative_to(res).as_posix() not in skipped}  # fmt: skip


def test_provenance_records_the_hash_of_every_result_and_every_checksum_holds(runs):
    res = runs[0] / "results"
    prov = json.loads((res / "provenance.json").read_text(encoding="utf-8"))
    recorded = {r["path"]: r["sha256"] for r in prov["results"]}
    assert recorded == _result_files(res)
    assert {
        "results/comparisons.csv",
        "results/analyses/pain_eot.json",
        "results/fits/odi_eot.json",
        "results/simulation/gosh/pain_eot.json",
        "results/figures/pain_eot/forest__pain_eot__sham.csv",
        "results/summary_of_findings.csv",
        "results/limitations.md",
    } <= set(recorded)
    sidecars = sorted(res.rglob(f"*{SUFFIX}"))
    # validation, 3 data tables, 5 JSON x 2 outcomes, the 2 per-outcome inputs of the
    # checkpoint (outcome_data, outcome_labels) x 2 outcomes, 4 figure folders (2 outcomes,
    # risk of bias, PRISMA), SoF CSV, limitations, provenance, report.html
    assert len(sidecars) == 26
    for side in sidecars:
        verified(str(side)[: -len(SUFFIX)])


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _calls_verified(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
               and n.func.id == "verified" for n in ast.walk(node))  # fmt: skip


def _is_verified(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """``node`` is an argument of ``verified(...)``, or the iterable of a comprehension
    whose element passes each item through ``verified``."""
    while node in parents:
        parent = parents[node]
        if (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Name)
            and parent.func.id == "verified"
        ):
            return True
        if isinstance(parent, ast.comprehension) and node is parent.iter:
            comp = parents[parent]
            elt = getattr(comp, "elt", None)
            if elt is not None and _calls_verified(elt):
                return True
        node = parent
    return False


def _input_uses(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    uses = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "input"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "smk"
        ):
            uses.append((node.attr, node))
    return uses


def test_every_script_checks_each_intermediate_it_reads():
    unchecked, whole = [], []
    for script in sorted((ROOT / "workflow" / "scripts").glob("*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        parents = _parents(tree)
        names = {name for name, _ in _input_uses(tree)} - SOURCES
        for name in sorted(names):
            if not any(_is_verified(n, parents) for used, n in _input_uses(tree) if used == name):
                unchecked.append(f"{script.name}: smk.input.{name}")
        for node in ast.walk(tree):  # the whole input object goes only to sheet readers
            if isinstance(node, ast.Call) and any(
                isinstance(a, ast.Attribute)
                and a.attr == "input"
                and isinstance(a.value, ast.Name)
                and a.value.id == "smk"
                for a in node.args
            ):
                name = node.func.id if isinstance(node.func, ast.Name) else ast.dump(node.func)
                if name not in READS_SHEETS_ONLY:
                    whole.append(f"{script.name}: {name}(smk.input)")
    assert unchecked == [] and whole == []

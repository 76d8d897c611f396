"""trialmeta against R metafor doing the same work, by CPU and component, in one run.

In rounds, in turn: a cold run of the shipped review (``snakemake --cores 2`` in a copy,
as ``pipeline.py``), with every job process's own CPU recorded at exit (a
``sitecustomize`` on PYTHONPATH that reads Snakemake's ``snakemake.rule``), then
``bench/same_work.R`` on the work list of that run: every pooled analysis the pipeline
ran (its trials' yi, vi, method, test), its sensitivity fits, subgroups, leave-one-out,
Baujat, small-study tests, the coverage simulation, GOSH and permutation tests at the
config's ``simulation:`` sizes, and the forest/funnel/LOO/Baujat/GOSH plots (SVG + PNG
at the config's ``png_dpi``) in base graphics. The R side times each component; the
simulation-heavy ones on a fraction (``--fraction``) of their units, extrapolated
linearly. TSA has no metafor implementation, so its work is trialmeta-only.

    python bench/versus_r.py                  # 2 rounds, 5 % of R's simulation units
    python bench/versus_r.py --rounds 3 --fraction 0.1
    python bench/versus_r.py --keep DIR       # keep the work list and R's figures in DIR
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml
from pipeline import ROOT, copy_review, snakemake  # type: ignore[import-not-found]

from trialmeta.review.results import AnalysisFits, OutcomeFits, read_result
from trialmeta.review.units import trial_units

R_SCRIPT = Path(__file__).with_name("same_work.R")
# trialmeta rule -> the component it shares with the R script ("" = no R counterpart).
SHARED = {
    "fit_outcome": "fits (main, subgroups, sensitivity, LOO, Baujat, small-study)",
    "coverage": "coverage simulation",
    "gosh": "GOSH",
    "permutation": "permutation tests",
    "outcome_figures": "figures",
    "risk_of_bias_figures": "figures",
}
SITECUSTOMIZE = '''\
"""Benchmark hook (bench/versus_r.py): append this process's CPU to a log at exit."""
import atexit, json, os, resource, sys


def _record():
    smk = getattr(sys.modules.get("__main__"), "snakemake", None)
    rule = getattr(smk, "rule", None) or os.path.basename(sys.argv[0] or "python")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    with open(os.environ["TRIALMETA_BENCH_CPU_LOG"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"rule": rule, "cpu": ru.ru_utime + ru.ru_stime}) + "\\n")


if os.environ.get("TRIALMETA_BENCH_CPU_LOG"):
    atexit.register(_record)
'''


def _xy(rows: object) -> dict[str, list[float]]:
    u = trial_units(rows)  # type: ignore[arg-type]
    return {"yi": u.yi.tolist(), "vi": u.vi.tolist()}


def _arm_data(a: AnalysisFits) -> list[list[float]]:
    """n1, m1, sd1, n2, m2, sd2 per row (the forest plot's arm columns; NaN if absent)."""
    cols = ("n1", "m1", "sd1", "n2", "m2", "sd2")
    return [[x if math.isfinite(x := r.number(c)) else None for c in cols] for r in a.effects]


def _pooled(
    a: AnalysisFits, figures: set[str], outcome: str, sims: dict[str, dict[str, object]]
) -> dict[str, object]:
    p = a.analysis.pooled
    aid = a.analysis.analysis_id
    assert p is not None
    cov = sims["coverage"].get(aid, {})
    gosh = sims["gosh"].get(aid, {})
    has = {kind: f"{kind}__{aid}" in figures for kind in ("forest", "funnel", "loo", "baujat",
                                                          "gosh")}  # fmt: skip
    return {
        "id": aid, "outcome": outcome, **_xy(a.effects), "method": p.method, "test": p.test,
        "level": p.level, "arms": _arm_data(a),
        "sensitivity": [{"method": s.method, "test": s.test, "k": s.k}
                        for s in a.sensitivity if s.status == "pooled"],
        "loo": not hasattr(a.loo, "reason"), "baujat": not hasattr(a.baujat, "reason"),
        "small_study": not hasattr(a.small_study, "reason"),
        "coverage_tau2": cov.get("tau2_values", []) if cov.get("run") else [],
        "gosh_subsets": gosh.get("n_subsets", 0) if gosh.get("run") else 0,
        "figures": has,
    }  # fmt: skip


def _subgrouped(
    a: AnalysisFits, figures: set[str], outcome: str, perms: dict[str, object]
) -> dict[str, object]:
    """A subtotals-only cell: its effect rows (as the permutation test and the forest use
    them), one fit per subgroup level, their difference test, the permutation test of
    factor(level) and a forest with subtotals."""
    sg = a.subgroups[0]
    aid = a.analysis.analysis_id
    tests = perms.get(aid, {}) if isinstance(perms.get(aid), dict) else {}
    ran = {name: t for name, t in tests.get("subgroups", {}).items() if t.get("run")}
    return {
        "id": aid, "outcome": outcome, "yi": [r.yi for r in a.effects],
        "vi": [r.vi for r in a.effects], "arms": _arm_data(a),
        "groups": [r.level(sg.variable) for r in a.effects],
        "permutations": {name: t["n_permutations"] for name, t in ran.items()},
        "method": "REML", "test": "knha", "forest": f"forest__{aid}" in figures,
    }  # fmt: skip


def work_list(results: Path, config: Path) -> dict[str, object]:
    """What the pipeline computed and drew in ``results``: the R script's input."""
    figures = {f.name.split(".")[0] for f in (results / "figures").rglob("*.svg")}
    pooled, grouped = [], []
    for path in sorted((results / "fits").glob("*.json")):
        outcome = path.stem
        sims = {rule: json.loads((results / "simulation" / rule / path.name).read_text())
                for rule in ("coverage", "gosh", "permutation")}  # fmt: skip
        for a in read_result(path, OutcomeFits).analyses:
            if a.analysis.pooled is not None:
                pooled.append(_pooled(a, figures, outcome, sims))
            elif a.subgroups:
                grouped.append(_subgrouped(a, figures, outcome, sims["permutation"]))
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    rob = [f.name for f in (results / "figures" / "risk_of_bias").glob("*.svg")]
    return {"simulation": cfg["simulation"], "figures": cfg["figures"], "pooled": pooled,
            "subgrouped": grouped, "rob_figures": len(rob)}  # fmt: skip


def _cold_run(work: Path, hook: Path, log: Path) -> tuple[float, float, dict[str, float]]:
    """Cold run of the review in ``work``: (tree CPU s, wall s, rule -> summed job CPU s,
    and "<rule> jobs" -> its number of processes)."""
    shutil.rmtree(work / "results", ignore_errors=True)
    shutil.rmtree(work / ".snakemake", ignore_errors=True)
    log.unlink(missing_ok=True)
    saved = dict(os.environ)
    os.environ["TRIALMETA_BENCH_CPU_LOG"] = str(log)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), saved.get("PYTHONPATH")]))
    try:
        run = snakemake(work, src=ROOT / "src")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    by_rule: dict[str, float] = defaultdict(float)
    for line in log.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        by_rule[rec["rule"]] += rec["cpu"]
        by_rule[f"{rec['rule']} jobs"] += 1
    return run.cpu_s, run.wall_s, dict(by_rule)


def _r_run(work_json: Path, fraction: float, out_dir: Path) -> dict[str, dict[str, float]]:
    """same_work.R on the work list: component -> measured/extrapolated CPU s and units."""
    tsv = out_dir / "r_components.tsv"
    proc = subprocess.run(["Rscript", str(R_SCRIPT), str(work_json), str(tsv), str(fraction),
                           str(out_dir / "figures")], capture_output=True, text=True,
                          check=False)  # fmt: skip
    if proc.returncode != 0:
        sys.exit(f"same_work.R failed:\n{proc.stderr[-3000:]}")
    print(proc.stdout, file=sys.stderr)
    with tsv.open(encoding="utf-8") as fh:
        return {r["component"]: {k: float(v) for k, v in r.items() if k != "component"}
                for r in csv.DictReader(fh, delimiter="\t")}  # fmt: skip


def _table(rounds: list[dict[str, object]]) -> None:
    """Print the per-component table (min / median over the rounds)."""

    def mm(xs: list[float], fmt: str = "{:.2f}") -> str:
        return f"{fmt.format(min(xs))} / {fmt.format(statistics.median(xs))}"

    comps = list(dict.fromkeys(SHARED.values()))
    print(
        "\n| component | trialmeta jobs | trialmeta CPU s min / median | "
        "R units measured / total | R CPU s measured | R CPU s extrapolated | "
        "R / trialmeta (median) |"
    )
    print("| --- | ---: | --- | --- | --- | --- | ---: |")
    tm_sum, r_sum = [0.0] * len(rounds), [0.0] * len(rounds)
    for comp in comps:
        jobs: dict[str, float] = rounds[0]["jobs"]  # type: ignore[assignment]
        n_jobs = sum(int(jobs.get(f"{rule} jobs", 0)) for rule, c in SHARED.items() if c == comp)
        tm = [
            sum(c for rule, c in r["jobs"].items() if SHARED.get(rule) == comp)  # type: ignore[attr-defined]
            for r in rounds
        ]
        rr = [r["r"][comp] for r in rounds]  # type: ignore[index]
        ext = [x["extrapolated_cpu_s"] for x in rr]
        for i in range(len(rounds)):
            tm_sum[i] += tm[i]
            r_sum[i] += ext[i]
        ratio = statistics.median(e / t if t else math.inf for e, t in zip(ext, tm, strict=True))
        print(
            f"| {comp} | {n_jobs} | {mm(tm)} | {rr[0]['units_measured']:.0f} / "
            f"{rr[0]['units']:.0f} | {mm([x['measured_cpu_s'] for x in rr])} | {mm(ext)} |"
            f" {ratio:.3g}x |"
        )
    other = [
        sum(
            c
            for rule, c in r["jobs"].items()  # type: ignore[attr-defined]
            if rule not in SHARED and not rule.endswith(" jobs")
        )
        for r in rounds
    ]
    tree = [float(r["tree_cpu"]) for r in rounds]  # type: ignore[arg-type]
    start = [r["r"]["R start-up, metafor, work list"]["measured_cpu_s"] for r in rounds]  # type: ignore[index]
    print(
        f"| shared components | | {mm(tm_sum)} | | | {mm(r_sum)} | "
        f"{statistics.median(r / t for r, t in zip(r_sum, tm_sum, strict=True)):.1f}x |"
    )
    print(
        f"| trialmeta only: Snakemake, data, GRADE + TSA, tables, report, provenance | | "
        f"{mm(other)} | | | (no R counterpart; TSA is not in metafor) | |"
    )
    print(
        f"| R start-up, library(metafor), reading the work list | | | | {mm(start)} | "
        f"{mm(start)} | |"
    )
    whole = [r + s for r, s in zip(r_sum, start, strict=True)]
    print(
        f"| **whole cold run (trialmeta: every process, wait4) vs whole R script** | | "
        f"{mm(tree)} | | | {mm(whole)} | "
        f"**{statistics.median(w / t for w, t in zip(whole, tree, strict=True)):.1f}x** |"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--fraction",
        type=float,
        default=0.05,
        help="share of R's simulation units timed (extrapolated linearly)",
    )
    ap.add_argument("--keep", type=Path, help="keep the work list and R's figures here")
    args = ap.parse_args(argv)
    rounds: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="trialmeta-vs-r-") as tmp:
        out = args.keep.resolve() if args.keep else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        hook = Path(tmp) / "hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        work = copy_review(Path(tmp) / "review")
        for i in range(args.rounds):
            load = os.getloadavg()[0]
            tree, wall, jobs = _cold_run(work, hook, Path(tmp) / "cpu.jsonl")
            work_json = out / "work.json"
            work_json.write_text(
                json.dumps(work_list(work / "results", work / "config" / "config.yaml"))
            )
            r = _r_run(work_json, args.fraction, out)
            rounds.append({"tree_cpu": tree, "jobs": jobs, "r": r})
            print(f"round {i + 1} (load {load:.1f} -> {os.getloadavg()[0]:.1f}): trialmeta "
                  f"cold {tree:.1f} s CPU, {wall:.1f} s wall; R "
                  f"{sum(x['extrapolated_cpu_s'] for x in r.values()):.1f} s CPU "
                  "extrapolated", file=sys.stderr, flush=True)  # fmt: skip
    print(
        f"trialmeta vs R metafor, same work, {args.rounds} rounds in turn; R times "
        f"{args.fraction:.0%} of each simulation's units and extrapolates linearly"
    )
    _table(rounds)


if __name__ == "__main__":
    main()

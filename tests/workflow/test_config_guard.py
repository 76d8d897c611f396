"""The workflow refuses a bad config before running anything (SYNTHETIC review; dry runs).

- ``config/config.yaml`` is read strictly by the Snakefile before its ``configfile:``
  directive, so a YTE expression in it (``__use_yte__``) is never evaluated, even by
  ``snakemake -n``;
- every other problem of the merged config (here a duplicated comparison id in a
  ``--configfile`` overlay) stops the workflow with one located line per problem.
Snakemake evaluates YTE in ``--configfile`` overlays itself, before the workflow is read;
config/README.md says to check an untrusted overlay first (trialmeta.review.config).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from _snakemake import TIMEOUT, prepare, snakemake_command


def _dry_run(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(snakemake_command("-n", "--cores", "1", *args), cwd=workdir,
                          capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip


def test_yte_in_the_config_is_refused_and_never_evaluated(tmp_path):
    d = prepare(tmp_path / "yte")
    cfg = d / "config" / "config.yaml"
    text = cfg.read_text(encoding="utf-8").replace(
        'title: "SYNTHETIC test review (not real trials)"',
        "title: ?__import__('pathlib').Path('PWNED_BY_CONFIG').touch() or 'pwned'",
    )
    cfg.write_text("__use_yte__: true\n" + text, encoding="utf-8")
    run = _dry_run(d)
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "config/config.yaml: __use_yte__: YTE templating (got True" in out
    assert "Traceback" not in out
    assert not (d / "PWNED_BY_CONFIG").exists()


def test_overlay_problem_is_located_and_stops_the_workflow(tmp_path):
    d = prepare(tmp_path / "dup")
    (d / "overlay.yaml").write_text(
        "comparisons:\n"
        '  - {id: sham, label: "Acupuncture vs sham", control_types: [sham]}\n'
        '  - {id: sham, label: "Acupuncture vs usual care", control_types: [usual_care]}\n',
        encoding="utf-8",
    )
    run = _dry_run(d, "--configfile", "overlay.yaml")
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "overlay.yaml: comparisons[1].id: duplicate id (got 'sham'" in out
    assert "nothing was run" in out and "Traceback" not in out
    assert not (d / "results").exists()

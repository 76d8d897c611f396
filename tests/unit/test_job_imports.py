"""Each workflow job's process imports only what it uses (issue 14: start-up CPU per job).

Each adapter in ``workflow/scripts/`` runs in its own Python process, and a heavy import it
does not need costs every one of those processes (pandas about 0.2 s, scipy.special
0.14-0.25 s, scipy.stats 0.6 s; ``bench/imports.py`` prints the figures). These tests run
an adapter's top-level imports in a fresh interpreter and check which heavy modules got
loaded: module sets, never seconds. A module an adapter needs only for some inputs is
imported where it is used, so it is absent here even for jobs that load it when run.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from trialmeta.data.risk_of_bias import domain_judgements

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "workflow" / "scripts"
SCIPY = ("scipy",)  # any scipy module
PLOTTING = ("matplotlib",)
DOCUMENTS = ("docx", "weasyprint")
SHEETS = ("pandas", "openpyxl")
#: adapter -> heavy modules its imports must not load (what it does not need to start)
NOT_LOADED: dict[str, tuple[str, ...]] = {
    # reads sheets (pandas), converts SDs (scipy.special on first use)
    "prepare_data.py": ("scipy.stats", "scipy.optimize", *PLOTTING, *DOCUMENTS, "openpyxl"),
    # fits: frames and scipy.special are used, scipy.stats never
    "fit_outcome.py": ("scipy.stats", *PLOTTING, *DOCUMENTS, "openpyxl"),
    # simulations: the batch engine (scipy.special), no tables, sheets or figures
    "simulate.py": ("scipy.stats", *SHEETS, "jsonschema", "yaml", *PLOTTING, *DOCUMENTS),
    # GRADE and TSA: results in, results out; the OIS SD needs no frame
    "complete_outcome.py": ("scipy.stats", *SHEETS, *PLOTTING, *DOCUMENTS),
    # figures: matplotlib; the quantiles load scipy.special when a forest plot is drawn
    "plot_outcome.py": (*SCIPY, *SHEETS, *DOCUMENTS),
    "plot_prisma.py": (*SCIPY, *SHEETS, *DOCUMENTS),
    "plot_risk_of_bias.py": (*SCIPY, "openpyxl", *DOCUMENTS),
    # report side: text, tables and documents from results, no statistics at import
    "write_tables.py": (*SCIPY, *PLOTTING, *DOCUMENTS, "openpyxl"),
    "write_sof.py": (*SCIPY, *SHEETS, *PLOTTING, "weasyprint"),
    "write_limitations.py": (*SCIPY, *SHEETS, *PLOTTING, *DOCUMENTS),
    "write_report.py": (*SCIPY, *SHEETS, *PLOTTING, *DOCUMENTS),
    "write_provenance.py": (*SCIPY, *SHEETS, *PLOTTING, *DOCUMENTS, "jsonschema", "yaml"),
    "write_pdf.py": (*SCIPY, *SHEETS, *PLOTTING, "docx", "jsonschema", "yaml"),
}


def _imports(adapter: Path) -> str:
    """The adapter's top-level import statements, as one ``python -c`` line."""
    tree = ast.parse(adapter.read_text(encoding="utf-8"))
    return "; ".join(
        ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
    )


def _loaded(code: str, modules: tuple[str, ...]) -> list[str]:
    probe = f"{code}; import sys; print(' '.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_every_adapter_is_checked() -> None:
    assert sorted(p.name for p in SCRIPTS.glob("*.py")) == sorted(NOT_LOADED)


@pytest.mark.parametrize("adapter", sorted(NOT_LOADED))
def test_adapter_imports_load_no_module_it_does_not_need(adapter: str) -> None:
    code = _imports(SCRIPTS / adapter)
    assert "trialmeta" in code  # the adapter's own imports, not an empty probe
    assert _loaded(code, NOT_LOADED[adapter]) == []


def test_scipy_special_loads_on_the_first_quantile() -> None:
    """``trialmeta._dist`` imports scipy.special on first call, not on import."""
    code = "import sys; from trialmeta import _dist; print('scipy.special' in sys.modules); "
    code += "_dist.norm_ppf(0.975); print('scipy.special' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_domain_judgements_from_rows_match_the_frame() -> None:
    """The figures pass the sheet's rows as dicts (no pandas): same domains as the frame."""
    rob = pd.read_csv(ROOT / "data" / "risk_of_bias.csv", dtype=str)
    from_frame = domain_judgements(rob)
    assert len(from_frame) > 5
    assert domain_judgements(rob.to_dict("records")) == from_frame
    assert list(domain_judgements(rob.to_dict("records"))) == list(from_frame)  # same order
    no_tool = rob[rob["tool"] == "RoB2"].drop(columns="tool")  # tool defaults to RoB2
    assert domain_judgements(no_tool.to_dict("records")) == domain_judgements(no_tool)
    blank_id = [{"study_id": None, "tool": "RoB2", "domain": "D1", "judgement": "low"}]
    assert domain_judgements(blank_id) == {} == domain_judgements(pd.DataFrame(blank_id))


def test_the_snakemake_process_loads_no_numpy_scipy_or_pandas() -> None:
    """The rules files' trialmeta imports (config, settings, digests, locks): every
    Snakemake call pays for them, a no-op rerun and a dry run included."""
    statement = re.compile(
        r"^(?:from trialmeta[\w.]* import (?:\([^)]*\)|[^\n]*)|import trialmeta[^\n]*)", re.M
    )
    lines = [
        " ".join(m.group(0).split())
        for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")) + [ROOT / "Snakefile"]
        for m in statement.finditer(smk.read_text(encoding="utf-8"))
    ]
    assert any("review.settings" in line for line in lines)  # the rules' slices
    code = "; ".join(lines)
    assert _loaded(code, ("numpy", *SCIPY, *SHEETS, *PLOTTING, *DOCUMENTS)) == []

"""Importing trialmeta.plots, drawing and saving leave matplotlib's global state alone:
the backend is not chosen at import, and no rcParam differs afterwards (the package style
applies inside rc_context only). Run in a fresh interpreter (SYNTHETIC values)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    import matplotlib
    rc = matplotlib.rcParams
    def snapshot():  # every rcParam but the backend (reading that one would resolve it)
        return {k: rc._get(k) for k in rc if k != "backend"}
    rc["font.size"] = 13.0  # a notebook user's own setting
    before = snapshot()
    import trialmeta.plots as plots
    assert rc._get_backend_or_none() is None, "backend chosen at import"
    assert snapshot() == before, "rcParams changed at import"
    data = plots.forest_data(["SynA", "SynB"], [-1.0, 0.5], [0.2, 0.3])
    fig = plots.forest_plot(data)
    plots.save_figure(fig, sys.argv[1] + "/forest")
    assert snapshot() == before, "rcParams changed by drawing or saving"
    print("ok")
""")


def test_plots_leave_matplotlib_global_state_alone(tmp_path):
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True,
                         text=True, timeout=300, env={"PATH": "/usr/bin:/bin",
                                                      **_pythonpath()})  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"
    assert (tmp_path / "forest.svg").is_file() and (tmp_path / "forest.png").is_file()


def _pythonpath() -> dict[str, str]:
    import os

    return {k: os.environ[k] for k in ("PYTHONPATH", "HOME") if k in os.environ}

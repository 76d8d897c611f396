"""Build the wheel, install it into a new venv outside the repository, run the CLI from it.

This proves that trialmeta works as an installed library, not only from a checkout: the
sheet schemas ship as package data, the ``trialmeta`` console script is declared, and the
core imports nothing from the ``[workflow]`` (Snakemake) or ``[bench]`` (statsmodels)
extras.

Two modes:

- ``--fresh`` (CI, ``.ci/run``): a venv *without* the system site-packages; pip resolves the
  core dependencies from the package index, and the check asserts that neither Snakemake
  nor statsmodels got installed with them.
- default (``tests/packaging/test_wheel.py``): a venv *with* the system site-packages and
  ``pip install --no-deps``, so it needs no download beyond the build backend and takes
  seconds; the installed wheel still shadows any checkout on ``sys.path`` (checked).

Usage: ``python3 tests/packaging/wheel_check.py [--fresh]``; exit code 0 when every check
passes, 1 with one line per failed check otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: What goes into the build: the package metadata and the source tree, nothing else.
BUILD_INPUTS = ("pyproject.toml", "README.md", "src")
TIMEOUT = 900


@dataclass(frozen=True)
class Installed:
    """A venv holding the installed wheel."""

    root: Path
    wheel: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def trialmeta(self) -> Path:
        return self.root / "bin" / "trialmeta"


def _run(cmd: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)  # fmt: skip


def _checked(cmd: list[str | Path], cwd: Path) -> str:
    proc = _run(cmd, cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")  # fmt: skip
    return proc.stdout


def build_wheel(work: Path) -> Path:
    """``python -m build --wheel`` of a clean copy of the package (the checkout stays clean)."""
    source = work / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in BUILD_INPUTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=ignore)
        else:
            shutil.copy2(src, source / name)
    _checked([sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", source], work)
    (wheel,) = (work / "dist").glob("trialmeta-*.whl")
    return wheel


def install(work: Path, wheel: Path, *, fresh: bool) -> Installed:
    """A new venv under ``work`` with ``wheel`` installed (see the module docstring)."""
    root = work / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=not fresh, clear=True).create(root)
    env = Installed(root, wheel)
    deps = [] if fresh else ["--no-deps"]
    _checked([env.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              *deps, wheel], work)  # fmt: skip
    return env


def check(env: Installed, work: Path, *, fresh: bool) -> list[str]:
    """Run the installed CLI from ``work`` (outside the repository); failed checks, if any."""
    failures: list[str] = []
    where = _checked(
        [
            env.python,
            "-c",
            "import trialmeta, trialmeta.data.validate as v; "
            "print(trialmeta.__file__); print(v.DEFAULT_SCHEMA_DIR)",
        ],
        work,
    ).split()
    if not all(Path(p).resolve().is_relative_to(env.root.resolve()) for p in where):
        failures.append(f"trialmeta or its schemas not loaded from the venv (got {where})")
    val = _run([env.trialmeta, "validate", ROOT / "data", "--json"], work)
    if val.returncode != 0 or not json.loads(val.stdout or "{}").get("ok"):
        failures.append(
            f"trialmeta validate data/ failed (exit {val.returncode}): "
            f"{(val.stdout + val.stderr)[-1500:]}"
        )
    ana = _run([env.trialmeta, "analyze", ROOT / "tests" / "data" / "normand1999.csv", "--json"],
               work)  # fmt: skip
    if ana.returncode != 0:
        failures.append(f"trialmeta analyze failed (exit {ana.returncode}): {ana.stderr[-1500:]}")
    elif json.loads(ana.stdout)["pool"]["k"] != 9:
        failures.append("trialmeta analyze normand1999.csv did not pool 9 studies")
    if fresh:
        for extra in ("snakemake", "statsmodels"):
            if _run([env.python, "-c", f"import {extra}"], work).returncode == 0:
                failures.append(f"{extra} was installed with the core (it belongs in an extra)")
    return failures


def main(argv: list[str] | None = None) -> int:
    """Build, install and check; print one line per failure."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh", action="store_true", help="venv without system site-packages")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="trialmeta-wheel-") as tmp:
        work = Path(tmp)
        env = install(work, build_wheel(work), fresh=args.fresh)
        failures = check(env, work, fresh=args.fresh)
        for line in failures:
            print(f"wheel check: {line}", file=sys.stderr)
        if not failures:
            print(
                f"wheel check: OK ({env.wheel.name}, {'fresh' if args.fresh else 'no-deps'} "
                "venv outside the repository)"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

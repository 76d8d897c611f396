"""Shared fixture of the workflow fault and hostile-text tests: one clean run of the copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from _review_copy import make_copy, run


@pytest.fixture(scope="session")
def good_run(tmp_path_factory) -> Path:
    """A finished clean run of the synthetic review in a copy of the repository."""
    workdir = make_copy(tmp_path_factory.mktemp("good") / "review")
    proc = run(workdir)
    if proc.returncode != 0:
        pytest.fail(f"clean run failed:\n{proc.stdout[-6000:]}")
    return workdir

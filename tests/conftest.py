"""Test-session settings and the malformed-sheet corpus harness.

Under CI (``CI`` set, as `.ci/run` is run) Hypothesis draws a fixed, derandomised set of
examples, so a pass or fail never depends on the run; locally it explores at random.

The corpus (``tests/data/malformed/``) holds sheets only: :func:`corpus_case` copies a case
and puts the shipped ``data/vocabulary.yaml`` beside its sheets, so each case fails for its
own defect and not for the vocabulary every data directory needs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
MALFORMED = ROOT / "tests" / "data" / "malformed"
SHIPPED_VOCABULARY = ROOT / "data" / "vocabulary.yaml"
#: Corpus cases about the vocabulary itself: the harness leaves them as they are.
VOCABULARY_CASES = frozenset({"missing_vocabulary"})

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def copy_corpus_case(case: str, where: Path) -> Path:
    """Corpus case ``case`` (``DIR`` or ``DIR/book.xlsx``) copied under ``where``, with the
    shipped vocabulary beside its sheets unless the case brings its own or is about it."""
    name, _, book = case.partition("/")
    d = where / name
    shutil.copytree(MALFORMED / name, d)
    if name not in VOCABULARY_CASES and not (d / SHIPPED_VOCABULARY.name).exists():
        shutil.copy(SHIPPED_VOCABULARY, d / SHIPPED_VOCABULARY.name)
    return d / book if book else d


@pytest.fixture
def corpus_case(tmp_path: Path) -> Callable[[str], Path]:
    """``corpus_case("enum_typo")``: the path to validate (see :func:`copy_corpus_case`)."""
    return lambda case: copy_corpus_case(case, tmp_path)

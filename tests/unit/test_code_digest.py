"""Code digests of the workflow's scripts (``trialmeta.io.code_digest``): the same with or
without the store of parsed imports, whatever state the store is in."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from trialmeta.io import code_digest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "workflow" / "scripts").glob("*.py"))


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """No store kept from an earlier test, no module graph cached in this process."""
    monkeypatch.setattr(code_digest, "_store", code_digest._Store(None))
    code_digest._module_imports.cache_clear()


def _digests(store: Path | None = None) -> list[str]:
    code_digest._module_imports.cache_clear()
    return [code_digest.script_digest(s, store) for s in SCRIPTS]


def test_the_store_changes_no_digest_and_is_used_on_the_next_call(fresh, tmp_path: Path):
    plain = _digests()
    store = tmp_path / ".snakemake" / "trialmeta" / "code_imports.json"
    assert _digests(store) == plain  # written on the way
    data = json.loads(store.read_text(encoding="utf-8"))
    module = ROOT / "src" / "trialmeta" / "review" / "settings.py"
    key = hashlib.sha256(module.read_bytes()).hexdigest() + ":trialmeta.review"
    assert "trialmeta.review.config" in data["entries"][key]  # keyed by content and package
    code_digest._store = code_digest._Store(None)  # a new Snakemake call: read back, no parse
    assert _digests(store) == plain and not code_digest._store.dirty


@pytest.mark.parametrize("text", ["{not json", '{"version": 1, "entries": []}', "[1, 2]",
                                  '{"version": 99, "entries": {}}'])  # fmt: skip
def test_a_malformed_store_is_ignored(fresh, tmp_path: Path, text: str):
    plain = _digests()
    store = tmp_path / "code_imports.json"
    store.write_text(text, encoding="utf-8")
    assert _digests(store) == plain
    assert json.loads(store.read_text(encoding="utf-8"))["version"] == 1  # rewritten whole


def test_a_store_that_cannot_be_written_is_not_kept(fresh, tmp_path: Path):
    plain = _digests()
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert _digests(blocker / "code_imports.json") == plain  # its folder is a file
    assert not list(tmp_path.glob("**/*.tmp"))


def test_an_edited_module_is_parsed_again(fresh, tmp_path: Path):
    # an entry is found by the file's bytes: another content is another key
    source = b"from trialmeta.review import config\n"
    edited = source + b"from trialmeta.stats import pooling\n"
    store = code_digest._Store(tmp_path / "s.json")
    assert store.named(source, "trialmeta.x") == ["trialmeta.review", "trialmeta.review.config"]
    assert "trialmeta.stats.pooling" in store.named(edited, "trialmeta.x")

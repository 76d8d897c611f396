"""Every id pattern anchors at the true end of the text (reliability review F22).

Python's ``re`` (which jsonschema uses) lets ``$`` match before a final newline, so
``"pain_eot\\n"`` passed ``^[a-z0-9_]+$``. Every pattern of the sheet schemas and of the
config schema must end in ``\\Z``.
"""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = sorted((ROOT / "src" / "trialmeta" / "data" / "schemas").glob("*.schema.yaml")) + [
    ROOT / "workflow" / "schemas" / "config.schema.yaml"
]
EXAMPLES = {"[a-z0-9_]": "pain_eot", "[A-Za-z][A-Za-z0-9_]": "Synth2020", "[A-Za-z0-9_]": "ACU",
            "10\\.": "10.1234/abc", "__": "pain_eot__sham", "[^<>{}": "results",
            "\\S": "laser"}  # fmt: skip


def _patterns(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for v in node.values() for p in _patterns(v)]
    if isinstance(node, list):
        return [p for v in node for p in _patterns(v)]
    return []


PATTERNS = sorted({p for f in SCHEMAS for p in _patterns(yaml.safe_load(f.read_text("utf-8")))})


def test_patterns_were_found():
    assert len(PATTERNS) >= 5


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern_ends_at_the_end_of_the_text(pattern):
    assert pattern.startswith("^") and pattern.endswith("\\Z"), pattern
    example = next(v for k, v in sorted(EXAMPLES.items(), key=lambda kv: -len(kv[0]))
                   if k in pattern and re.search(pattern, v))  # fmt: skip
    check = jsonschema.Draft202012Validator({"type": "string", "pattern": pattern})
    assert check.is_valid(example)
    for bad in (example + "\n", example + "\r\n", "\n" + example):
        assert not check.is_valid(bad), repr(bad)

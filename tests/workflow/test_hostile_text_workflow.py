"""Hostile text in every text column of the sheets, through full runs of the tiny review.

Issue 12, "Done when": random printable and control characters go through every text
column of the SYNTHETIC sheets into a full `snakemake --cores 2` run (a repository copy,
see _review_copy.py), and the run is either accepted with the same results or rejected
with a located error. "The same results" means:

- the same run twice gives identical bytes (checked on the run with every text cell
  hostile);
- the tables of numbers (pooled, sensitivity, subgroups, meta-regression, coverage, GOSH,
  Summary of Findings) are byte-identical to the clean run: they print no sheet text, so
  text must not change them;
- every other output, which may print sheet text (effect tables, the data behind each
  figure with its study labels, the report), has the clean run's structure: the same
  files, the same CSV rows and columns with the same numbers, JSON with the same numbers
  at the same places, Markdown with the same lines and table cells, HTML with the same tags
  (text never becomes markup) and well-formed SVG without scripts.

Descriptive columns (citation, notes, sources, ...) get arbitrary text per cell. The
columns whose text the analysis compares (the arm-pairing keys instrument_detail and
timepoint_label, trialmeta.effects.pairing.KEY; intervention and cointervention, which
decide add-on designs and sham types) get one hostile suffix per column on every non-empty
cell, so that equal texts stay equal: their identity matters, never their characters.
Coded columns (ids, vocabularies) get arbitrary text too, and must then be rejected with a
located error. Examples are few, since each costs a run; under CI (tests/conftest.py) they
are derandomised.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
from _review_copy import HERE, TIMEOUT, left_in_results, logs_text, make_copy, outputs, run, start
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from trialmeta.data.validate import DEFAULT_SCHEMA_DIR, _free_text, _load_schemas

SCHEMAS = _load_schemas(DEFAULT_SCHEMA_DIR)
SHEETS = ("studies.csv", "arms.csv", "risk_of_bias.csv")
PAIRED = ("intervention", "cointervention")  # compared with each other (A + B vs B)
SEMANTIC = ("instrument_detail", "timepoint_label", *PAIRED)
# (the Summary of Findings prints trial names, countries and control interventions, so it is
# compared by structure like the other text outputs)
NUMERIC_TABLES = ("pooled.csv", "sensitivity.csv", "subgroups.csv", "metaregression.csv",
                  "coverage.csv", "gosh.csv")  # fmt: skip
LOCATED = re.compile(r"^trialmeta: error: (?:.*/)?(studies|arms|risk_of_bias)\.csv"
                     r"(?::\d+(?::[A-Za-z_]+)?)?: .+$", re.M)  # fmt: skip
NASTY = (
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "ok =1+1+cmd|' /C calc'!A0",
    "+SUM(A1:A2)", "-2+3", "@cmd", "\tTAB first", "two\nlines", "crlf\r\nline",
    "$\\alpha$ $x^2", "| a | b |\n# heading", "\x1b[31mRED\x1b[0m\x1b]0;pwned\x07",
    "\u202eRTL override", "nel\x85ls\u2028ps\u2029", "\x01\x02\x7f\x1c\x1d\x1e controls",
    '"quoted, with comma"', "<!-- open comment", "]]> &amp; & <![CDATA[", "\ufeffbom inside",
    "emoji \U0001f600 and \u4e2d\u6587", "back\\slash and `code` *em*", "%s %d {0} {x}",
    "javascript:alert(1)", "<style>body{display:none}</style>", "[x](javascript:alert(1))",
)  # fmt: skip
SUFFIXES = {"instrument_detail": " <b>&amp;\x1b[1m|\n", "timepoint_label": " \u202e<i>\"q\"\t|",
            "intervention": " \x1b]0;t\x07<u>&lt;"}  # fmt: skip


def _string_columns(sheet: str) -> tuple[list[str], list[str]]:
    """(free-text, coded) string columns of ``sheet`` present in the synthetic data.

    Free text as the validator itself defines it (a string with no allowed values and no
    pattern); coded columns are the other string columns (ids, vocabularies, DOIs).
    """
    props = SCHEMAS[sheet.removesuffix(".csv")]["properties"]
    with open(HERE / "synthetic_data" / sheet, encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    free, coded = [], []
    for name in (n for n in header if n in props):
        kind = props[name].get("type", "string")
        if "string" in ([kind] if isinstance(kind, str) else kind):
            (free if _free_text(props[name]) else coded).append(name)
    return free, coded


def _data_rows(sheet: str) -> int:
    with open(HERE / "synthetic_data" / sheet, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


COLUMNS = {s: _string_columns(s) for s in SHEETS}
DESCRIPTIVE_CELLS = [(s, c, r) for s in SHEETS for c in COLUMNS[s][0] if c not in SEMANTIC
                     for r in range(_data_rows(s))]  # fmt: skip
CODED_CELLS = [(s, c, r) for s in SHEETS for c in COLUMNS[s][1] for r in range(_data_rows(s))]


def _apply(data: Path, cells: dict[tuple[str, str, int], str], suffixes: dict[str, str]) -> None:
    """Write the hostile cells, then append each suffix to every non-empty cell of its column."""
    for sheet in SHEETS:
        path = data / sheet
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header = rows[0]
        for (s, col, r), text in cells.items():
            if s == sheet:
                rows[r + 1][header.index(col)] = text
        for col, suffix in suffixes.items():
            if col in header:
                k = header.index(col)
                for row in rows[1:]:
                    row[k] = row[k] + suffix if row[k].strip() else row[k]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")


# ---- what "the same results" means, per kind of output
def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_rows(blob: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(blob.decode("utf-8"), newline="")))


def _same_csv(name: str, clean: bytes, hostile: bytes) -> None:
    a, b = _csv_rows(clean), _csv_rows(hostile)
    assert b[0] == a[0] and len(b) == len(a), f"{name}: rows or header changed"
    assert all(len(r) == len(b[0]) for r in b), f"{name}: a row was split or merged"
    frame = pd.read_csv(io.BytesIO(hostile), dtype=str, keep_default_na=False)
    assert frame.shape == (len(b) - 1, len(b[0])), f"{name}: pandas reads another shape"
    numeric = [k for k in range(len(a[0])) if any(r[k] for r in a[1:])
               and all(_is_number(r[k]) for r in a[1:] if r[k])]  # fmt: skip
    rows = [Counter(tuple(r[k] for k in numeric) for r in t[1:]) for t in (a, b)]
    assert rows[0] == rows[1], f"{name}: numbers changed"


def _same_numbers(where: str, a: object, b: object) -> None:
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return
    assert type(a) is type(b), f"{where}: {a!r} became {b!r}"
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys changed"
        for key in a:
            _same_numbers(f"{where}.{key}", a[key], b[key])
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: length changed"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same_numbers(f"{where}[{i}]", x, y)
    else:
        assert a == b, f"{where}: {a!r} became {b!r}"


class _Tags(HTMLParser):
    """The page's tags, outside inline SVG figures (a figure's text elements follow its
    line wrapping; each SVG is also checked as its own file)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svg += 1
            self.tags.append("svg")
        if not self.svg:
            self.tags.append(tag + "".join(sorted(f" {k}" for k, _ in attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg -= 1
        elif not self.svg:
            self.tags.append("/" + tag)


def _tags(blob: bytes) -> list[str]:
    parser = _Tags()
    parser.feed(blob.decode("utf-8"))
    return parser.tags


def _pipes(blob: bytes) -> list[int]:
    return [len(re.findall(r"(?<!\\)\|", line)) for line in blob.decode("utf-8").split("\n")]


def _same_structure(name: str, clean: bytes, hostile: bytes) -> None:
    suffix = Path(name).suffix
    if suffix == ".csv":
        _same_csv(name, clean, hostile)
    elif suffix == ".json":
        _same_numbers(name, json.loads(clean), json.loads(hostile))
    elif suffix == ".md":
        assert _pipes(hostile) == _pipes(clean), f"{name}: lines or table cells changed"
    elif suffix == ".html":
        assert _tags(hostile) == _tags(clean), f"{name}: text became markup"
        assert b"<script" not in hostile.lower()
    elif suffix == ".svg":
        root = ET.fromstring(hostile)
        assert not [e for e in root.iter() if e.tag.endswith("script")], name
    elif suffix == ".sha256":  # checksums of files that hold the text: the same files listed
        assert _listed(hostile) == _listed(clean), f"{name}: other files listed"
    else:
        assert hostile[:4] == clean[:4] and hostile, f"{name}: not a {suffix} file"


def _listed(sidecar: bytes) -> list[bytes]:
    """The file names of a ``sha256sum``-format checksum file (each line a 64-hex digest)."""
    lines = [line.split(b"  ", 1) for line in sidecar.splitlines()]
    assert all(re.fullmatch(rb"[0-9a-f]{64}", digest) for digest, _ in lines), sidecar
    return [name for _, name in lines]


def _verify(
    workdir: Path, returncode: int, console: str, clean: dict[str, bytes]
) -> dict[str, bytes]:
    """The finished run in ``workdir``: accepted with the clean results, or rejected, located.

    Returns the outputs of an accepted run (empty when rejected).
    """
    assert "Traceback" not in console and "Traceback" not in logs_text(workdir)
    ours = [line for line in console.split("\n") if line.startswith("trialmeta")]
    raw = [line for line in ours if any(unicodedata.category(ch) == "Cc" for ch in line)]
    assert raw == [], "control characters reach the terminal"
    if returncode != 0:
        assert LOCATED.search(console), console[-4000:]
        assert set(left_in_results(workdir)) <= {"benchmarks", "logs"}
        return {}
    got = outputs(workdir)
    assert sorted(got) == sorted(clean)
    for name, blob in clean.items():
        if name in NUMERIC_TABLES:
            assert got[name] == blob, f"{name}: a table of numbers changed"
        else:
            _same_structure(name, blob, got[name])
    return got


def test_every_text_cell_hostile_gives_the_same_results_twice(good_run, tmp_path):
    cells = {cell: NASTY[i % len(NASTY)] for i, cell in enumerate(DESCRIPTIVE_CELLS)}
    suffixes = {**SUFFIXES, "cointervention": SUFFIXES["intervention"]}
    dirs = [make_copy(tmp_path / name) for name in ("a", "b")]
    for workdir in dirs:
        _apply(workdir / "data", cells, suffixes)
    procs = [start(workdir) for workdir in dirs]  # two runs at once, one core each
    consoles = [p.communicate(timeout=TIMEOUT)[0] for p in procs]
    clean = outputs(good_run)
    first, second = (_verify(d, p.returncode, c, clean)
                     for d, p, c in zip(dirs, procs, consoles, strict=True))  # fmt: skip
    assert first, "hostile text in the descriptive columns must be accepted"
    assert [n for n in first if first[n] != second[n]] == []


PAYLOAD = st.one_of(st.sampled_from(NASTY), st.text(st.characters(codec="utf-8",
                    exclude_categories=("Cs",)), min_size=1, max_size=24))  # fmt: skip


@st.composite
def hostile_sheets(draw: st.DrawFn) -> tuple[dict[tuple[str, str, int], str], dict[str, str]]:
    cells = draw(st.dictionaries(st.sampled_from(DESCRIPTIVE_CELLS), PAYLOAD, min_size=1,
                                 max_size=4))  # fmt: skip
    if draw(st.integers(0, 9)) == 7:  # now and then a coded cell too: it must be rejected
        cells[draw(st.sampled_from(CODED_CELLS))] = draw(PAYLOAD)
    columns = draw(st.sets(st.sampled_from(("instrument_detail", "timepoint_label", "paired"))))
    suffix = {c: " " + draw(PAYLOAD) for c in columns}
    if "paired" in suffix:
        suffix.update(dict.fromkeys(PAIRED, suffix.pop("paired")))
    return cells, suffix


@settings(
    max_examples=2,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
)
# a coded cell: rejected, located, and the escape sequence never reaches the terminal raw
@example(({("arms.csv", "arm_type", 0): "sham\x1b[0m"}, {}))
@given(hostile_sheets())
def test_random_text_is_accepted_with_the_same_results_or_rejected_located(
        good_run, tmp_path_factory, edit):  # fmt: skip
    cells, suffixes = edit
    workdir = make_copy(tmp_path_factory.mktemp("hostile") / "review")
    _apply(workdir / "data", cells, suffixes)
    proc = run(workdir)
    _verify(workdir, proc.returncode, proc.stdout, outputs(good_run))

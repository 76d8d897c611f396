"""The review's vocabulary: the codes its sheets may use, and what they mean to the analysis.

A review declares its codes in ``vocabulary.yaml`` beside the sheets (for a workbook: in
the same directory as the ``.xlsx``), so ``trialmeta validate DATA_DIR`` needs nothing
else and a second review brings its own codes. The file is checked against
``schemas/vocabulary.schema.yaml``; its lists become the allowed values (JSON-schema
``enum``) of the sheets' code columns:

================  ==========================  ===========================================
vocabulary key     sheet column                 meaning
================  ==========================  ===========================================
populations        ``studies.population``       the populations (GRADE indirectness)
intervention_types ``arms.arm_type``            arms that are the intervention (group 1)
control_types      ``arms.arm_type``            arms that are a control (group 2)
outcomes           ``arms/contrasts.outcome``   outcome codes, each with its instruments
instruments        ``arms/contrasts.instrument``
================  ==========================  ===========================================

Three optional keys say what some control types are: ``active_control_types`` (an active
treatment: against it the intervention is an add-on, A + B vs B, or head to head, A vs B, as
``arms.delivery`` says; :func:`trialmeta.effects.comparisons.active_design`),
``sham_control_types`` (a sham procedure) and ``sham_kinds`` (keyword → kind, the kinds of
sham GRADE indirectness tells apart; :meth:`Vocabulary.sham_kind`). Absent, no control is
active or sham.

``labels`` gives the reader's text of its codes (tables, figures, report), and an
outcome's ``self_reported: true`` says the participant rates it (the outcome assessor of
RoB 2 domain 4). An outcome's ``type: binary`` makes it dichotomous: its ``arms.csv`` rows
carry ``events`` of ``n`` (no mean, SD or quantiles) and it pools as a risk ratio, odds ratio
or risk difference (``outcomes[].measure`` of the config); a binary outcome has no
``md_instruments`` or ``md_scale``.

Per outcome, ``md_instruments`` lists the instruments that pool as a mean difference and
``md_scale`` how: ``0-100`` rescales each score from its ``scale_min``-``scale_max`` range
to 0-100 (an MD needs one scale: Cochrane Handbook v6.5 section 6.5.1.1; see
:mod:`trialmeta.effects.harmonise`), ``native`` pools in the instruments' own, shared unit
(e.g. days). Any other instrument of the outcome is poolable only as an SMD.

The codes belong to the review, not to trialmeta: there is no default. A data directory
(or a workbook's directory) without ``vocabulary.yaml`` is a located problem,
``DIR/vocabulary.yaml: missing (got no such file, expected the review's codes: ...)``, so
another review's sheets are never silently read with the first review's acupuncture codes.
A workbook keeps its vocabulary in the same file beside it, not in a tab: the vocabulary
is nested (outcomes, their instruments, how each pools), which a sheet of rows would have
to flatten into a second format (see data/README.md).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

__all__ = ["VOCABULARY_FILE", "OutcomeCodes", "Vocabulary", "load_vocabulary",
           "missing_vocabulary", "vocabulary_path"]  # fmt: skip

VOCABULARY_FILE = "vocabulary.yaml"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
VOCABULARY_KEYS = ("populations", "intervention_types", "control_types", "outcomes")
MD_SCALES = ("0-100", "native")


@dataclass(frozen=True)
class OutcomeCodes:
    """One outcome code: its instruments and how those pool as a mean difference."""

    instruments: tuple[str, ...]
    md_instruments: tuple[str, ...]
    md_scale: str
    self_reported: bool = False
    binary: bool = False


@dataclass(frozen=True)
class Vocabulary:
    """The codes of a review's sheets (see the module docstring)."""

    populations: tuple[str, ...]
    intervention_types: tuple[str, ...]
    control_types: tuple[str, ...]
    outcomes: dict[str, OutcomeCodes]
    source: str
    active_control_types: tuple[str, ...] = ()
    sham_control_types: tuple[str, ...] = ()
    sham_kinds: tuple[tuple[str, str], ...] = ()
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def arm_types(self) -> tuple[str, ...]:
        """Every allowed ``arm_type``: the interventions first, then the controls."""
        return (*self.intervention_types, *self.control_types)

    @property
    def instruments(self) -> tuple[str, ...]:
        """Every allowed instrument, in order of first mention."""
        return tuple(dict.fromkeys(i for o in self.outcomes.values() for i in o.instruments))

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code of the vocabulary: populations, arm types, outcomes, instruments."""
        return tuple(dict.fromkeys((*self.populations, *self.arm_types, *self.outcomes,
                                    *self.instruments)))  # fmt: skip

    def label(self, code: str) -> str:
        """The reader's text for ``code``: its ``labels`` entry, else the code with spaces.

        >>> Vocabulary(("p",), ("a",), ("routine_care",), {}, "doctest").label("routine_care")
        'Routine care'
        """
        if code in self.labels:
            return self.labels[code]
        text = code.replace("_", " ")
        return text[:1].upper() + text[1:]

    def is_self_reported(self, outcome: object) -> bool:
        """Whether the participant rates ``outcome`` (the assessor of RoB 2 domain 4)."""
        codes = self.outcomes.get(str(outcome))
        return codes is not None and codes.self_reported

    def is_binary(self, outcome: object) -> bool:
        """Whether ``outcome`` is dichotomous (``type: binary``: rows carry events of n)."""
        codes = self.outcomes.get(str(outcome))
        return codes is not None and codes.binary

    @property
    def binary_outcomes(self) -> tuple[str, ...]:
        """The outcome codes of ``type: binary``."""
        return tuple(code for code, o in self.outcomes.items() if o.binary)

    def is_intervention(self, arm_type: object) -> bool:
        """Whether an arm of this type is the intervention (group 1 of every effect)."""
        return arm_type in self.intervention_types

    def is_active_control(self, arm_type: object) -> bool:
        """Whether a control arm of this type is an active treatment (add-on or head to head)."""
        return arm_type in self.active_control_types

    def sham_kind(self, arm_type: object, intervention: object) -> str:
        """The kind of sham of a control arm, ``""`` when it is not a sham.

        The kind of the first ``sham_kinds`` keyword found in the arm's verbatim
        ``intervention`` (case-insensitive), else ``"sham (unspecified)"``.

        >>> v = Vocabulary(("p",), ("a",), ("sham",), {}, "doctest", (), ("sham",),
        ...                (("laser", "sham laser"),))
        >>> v.sham_kind("sham", "Sham LASER, 0 J"), v.sham_kind("sham", "sham")
        ('sham laser', 'sham (unspecified)')
        >>> v.sham_kind("a", "laser")
        ''
        """
        if arm_type not in self.sham_control_types:
            return ""
        text = str(intervention or "").lower()
        return next(
            (kind for key, kind in self.sham_kinds if key.lower() in text), "sham (unspecified)"
        )

    def md_instrument(self, outcome: object, instrument: object) -> bool:
        """Whether ``instrument`` pools as a mean difference for ``outcome``."""
        codes = self.outcomes.get(str(outcome))
        return codes is not None and instrument in codes.md_instruments

    def rescales(self, outcome: object) -> bool:
        """Whether MDs of ``outcome`` are put on 0-100 (``md_scale: 0-100``)."""
        codes = self.outcomes.get(str(outcome))
        return codes is None or codes.md_scale == "0-100"

    def sheet_schemas(self, schemas: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Copies of the sheet schemas with these codes as the code columns' ``enum`` (in
        place of the schemas' ``pattern``, the shape of any code, which is all a sheet
        without its vocabulary is checked against)."""
        out = copy.deepcopy(schemas)
        codes = {("studies", "population"): self.populations,
                 ("arms", "arm_type"): self.arm_types,
                 ("arms", "outcome"): tuple(self.outcomes),
                 ("arms", "instrument"): self.instruments,
                 ("contrasts", "outcome"): tuple(self.outcomes),
                 ("contrasts", "instrument"): self.instruments}  # fmt: skip
        for (sheet, column), allowed in codes.items():
            spec = out.get(sheet, {}).get("properties", {}).get(column)
            if spec is not None:
                nullable = "null" in spec.get("type", [])
                spec["enum"] = [*allowed, None] if nullable else list(allowed)
                spec.pop("pattern", None)
        return out


def vocabulary_path(data_path: str | Path) -> Path:
    """Where the vocabulary of a data directory (or of a workbook) lives."""
    p = Path(data_path)
    return (p if p.is_dir() else p.parent) / VOCABULARY_FILE


def _parse(raw: dict[str, Any], source: str) -> Vocabulary:
    outcomes = {str(name): OutcomeCodes(tuple(o["instruments"]),
                                        tuple(o.get("md_instruments", ())),
                                        str(o.get("md_scale", "native")),
                                        bool(o.get("self_reported", False)),
                                        o.get("type") == "binary")
                for name, o in raw["outcomes"].items()}  # fmt: skip
    kinds = tuple((str(k["keyword"]), str(k["kind"])) for k in raw.get("sham_kinds", ()))
    return Vocabulary(tuple(raw["populations"]), tuple(raw["intervention_types"]),
                      tuple(raw["control_types"]), outcomes, source,
                      tuple(raw.get("active_control_types", ())),
                      tuple(raw.get("sham_control_types", ())), kinds,
                      {str(k): str(v) for k, v in (raw.get("labels") or {}).items()})  # fmt: skip


def _problems(raw: object, label: str) -> list[str]:
    with open(SCHEMA_DIR / "vocabulary.schema.yaml", encoding="utf-8") as fh:
        schema = yaml.safe_load(fh)
    out = [f"{label}:{'/'.join(map(str, e.path)) or '(top)'}: invalid vocabulary (got "
           f"{str(e.instance)[:60]!r}, expected {e.message})"
           for e in jsonschema.Draft202012Validator(schema).iter_errors(raw)]  # fmt: skip
    if out or not isinstance(raw, dict):
        return out
    for name, o in raw["outcomes"].items():
        extra = sorted(set(o.get("md_instruments", ())) - set(o["instruments"]))
        if extra:
            out.append(
                f"{label}:outcomes/{name}/md_instruments: not an instrument of the "
                f"outcome (got {', '.join(extra)}, expected some of "
                f"{', '.join(o['instruments'])})"
            )
    both = sorted(set(raw["intervention_types"]) & set(raw["control_types"]))
    if both:
        out.append(
            f"{label}:control_types: also an intervention type (got {', '.join(both)}, "
            "expected each arm type in one list)"
        )
    for key in ("active_control_types", "sham_control_types"):
        extra = sorted(set(raw.get(key, ())) - set(raw["control_types"]))
        if extra:
            out.append(
                f"{label}:{key}: not a control type (got {', '.join(extra)}, expected "
                f"some of {', '.join(raw['control_types'])})"
            )
    codes = {
        *raw["populations"],
        *raw["intervention_types"],
        *raw["control_types"],
        *raw["outcomes"],
        *(i for o in raw["outcomes"].values() for i in o["instruments"]),
    }
    stray = sorted(set(raw.get("labels") or {}) - codes)
    if stray:
        out.append(
            f"{label}:labels: label of a code the vocabulary does not have (got "
            f"{', '.join(stray)}, expected codes of its lists)"
        )
    if raw.get("sham_kinds") and not raw.get("sham_control_types"):
        out.append(
            f"{label}:sham_kinds: kinds of sham without a sham control type (got "
            f"{len(raw['sham_kinds'])} kinds, expected sham_control_types too)"
        )
    return out


def _read(path: Path, label: str) -> tuple[Vocabulary | None, list[str]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [
            f"{label}: not a readable YAML file (got {type(exc).__name__}, expected "
            "the codes of the sheets, see data/README.md)"
        ]
    problems = _problems(raw, label)
    return (None if problems else _parse(raw, label)), problems


def missing_vocabulary(path: str | Path) -> str:
    """The problem line of a data directory whose ``vocabulary.yaml`` (``path``) is absent."""
    return (
        f"{path}: missing (got no such file, expected the review's codes: "
        f"{', '.join(VOCABULARY_KEYS)}, as in trialmeta's data/vocabulary.yaml; see "
        "data/README.md)"
    )


def load_vocabulary(data_path: str | Path) -> tuple[Vocabulary | None, list[str]]:
    """The vocabulary of ``data_path`` and its problems: ``(None, problems)`` when the file
    is missing (:func:`missing_vocabulary`) or not valid."""
    path = vocabulary_path(data_path)
    if not path.is_file():
        return None, [missing_vocabulary(path)]
    return _read(path, path.name)

"""One label map: the human text every renderer prints for a data or config code.

Codes come from the codebook (``data/README.md``; the enums of the sheet schemas
in ``trialmeta/data/schemas/``), from the review's vocabulary (``vocabulary.yaml``
beside the sheets: its arm types, populations, outcomes and instruments, with their
``labels``; :mod:`trialmeta.data.vocabulary`) and from the config (outcome, comparison
and analysis ids). Study labels are "Author Year" from ``studies.csv`` (first
author's surname; "(n.d.)" when no year is given; "a", "b" appended when two
trials share author and year, as Cochrane reviews do). Arm labels are the arm's
own intervention from ``arms.csv`` without its bracketed code, so a comparison
row reads "Sokunbi (n.d.) (acupuncture vs education and advice)".

:func:`identifiers` lists every raw code a reader must never see; the scanner in
:mod:`trialmeta.report.rendered_text` looks for them in rendered output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources

import yaml

from trialmeta.data.vocabulary import Vocabulary

__all__ = ["CODE_LABELS", "LabelMap", "code_labels", "identifiers", "label_map", "schema_codes"]

# Every enum value of the sheet schemas, and the config's own vocabulary. The review's
# codes (arm types, outcomes, instruments, populations) are labelled by its vocabulary.yaml.
CODE_LABELS: dict[str, str] = {
    # technique
    "manual": "Manual acupuncture", "electro": "Electroacupuncture",
    "laser": "Laser acupuncture", "auricular": "Auricular acupuncture",
    "catgut_embedding": "Catgut embedding", "unspecified": "Acupuncture (type not reported)",
    # delivery
    "add_on": "Added to the control's treatment", "standalone": "Acupuncture alone",
    # design, verification
    "parallel_rct": "Parallel-group RCT", "crossover_rct": "Crossover RCT",
    "cluster_rct": "Cluster RCT", "quasi_rct": "Quasi-randomised trial",
    "primary_verbatim": "Trial report, verbatim",
    "secondary_verbatim": "Secondary source, verbatim",
    "secondary_extraction": "Extracted by other reviewers",
    # measure, change_sign, n_basis, scale_basis, estimate_type
    "final": "Final value", "change": "Change from baseline",
    "post_minus_baseline": "Post minus baseline", "baseline_minus_post": "Baseline minus post",
    "randomised": "Randomised", "allocated": "Allocated", "analysed": "Analysed",
    "completers": "Completers", "derived": "Derived", "unclear": "Unclear",
    "stated": "Stated in the source", "inferred": "Inferred (not stated)",
    "mean_difference": "Mean difference",
    "adjusted_mean_difference": "Adjusted mean difference",
    "median_difference": "Median difference",
    # risk of bias: tools, judgements, domains
    "RoB2": "RoB 2", "RoB1": "RoB 1 (original Cochrane tool)", "PEDro": "PEDro scale",
    "low": "Low risk", "some_concerns": "Some concerns", "high": "High risk",
    "yes": "Yes", "no": "No", "not_assessed": "Not assessed",
    "D1": "Randomisation process", "D2": "Deviations from intended interventions",
    "D3": "Missing outcome data", "D4": "Measurement of the outcome",
    "D5": "Selection of the reported result", "overall": "Overall risk of bias",
    "sequence_generation": "Random sequence generation",
    "allocation_concealment": "Allocation concealment",
    "blinding_participants": "Blinding of participants",
    "blinding_participants_personnel": "Blinding of participants and personnel",
    "blinding_treatment_provider": "Blinding of treatment providers",
    "blinding_outcome_assessor": "Blinding of outcome assessors",
    "incomplete_outcome_data": "Incomplete outcome data",
    "selective_reporting": "Selective reporting", "other_bias": "Other bias",
    "trial_size": "Trial size",
    "eligibility_criteria": "Eligibility criteria specified",
    "random_allocation": "Random allocation", "concealed_allocation": "Concealed allocation",
    "baseline_comparability": "Groups similar at baseline",
    "blind_subjects": "Blinded participants", "blind_therapists": "Blinded therapists",
    "blind_assessors": "Blinded assessors", "adequate_followup": "Follow-up of 85% or more",
    "intention_to_treat": "Intention-to-treat analysis",
    "between_group_comparisons": "Between-group comparison reported",
    "point_estimates_variability": "Point estimates and variability reported",
    # config vocabulary: subgroup variables, sensitivity analyses, GRADE domains
    "control_type": "Control", "technique": "Technique",
    "population": "Population", "n_sessions": "Number of sessions", "year": "Year",
    "leave_one_out": "Leaving out one trial at a time",
    "exclude_high_rob": "Excluding trials at high risk of bias",
    "exclude_secondary": "Excluding data from secondary sources",
    "common_vs_random": "Common-effect model", "estimator_grid": "Other estimators",
    "risk_of_bias": "Risk of bias", "inconsistency": "Inconsistency",
    "indirectness": "Indirectness", "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
}  # fmt: skip

_SCHEMAS = ("studies", "arms", "contrasts", "risk_of_bias")
_PARENS = re.compile(r"\s*\([^()]*\)")
_INITIALS = re.compile(r"^[A-Z]{1,3}\.?$")
ARM_LABEL_MAX = 44  # longer arm descriptions fall back to their type's label
_PLUS = re.compile(r"\s+(?:plus|combined with)\s+")


def schema_codes(vocabulary: Vocabulary | None = None) -> dict[str, tuple[str, ...]]:
    """``sheet.column`` -> the codes it allows: the sheet schemas' enums, and with a
    ``vocabulary`` its codes of the code columns (population, arm type, outcome,
    instrument)."""
    out: dict[str, tuple[str, ...]] = {}
    pkg = resources.files("trialmeta.data") / "schemas"
    for name in _SCHEMAS:
        schema = yaml.safe_load((pkg / f"{name}.schema.yaml").read_text(encoding="utf-8"))
        if vocabulary is not None:
            schema = vocabulary.sheet_schemas({name: schema})[name]
        for col, spec in schema.get("properties", {}).items():
            values = spec.get("enum") or spec.get("items", {}).get("enum")
            if values:
                out[f"{name}.{col}"] = tuple(str(v) for v in values if v is not None)
    return out


def code_labels(vocabulary: Vocabulary | None = None) -> dict[str, str]:
    """Code -> label: :data:`CODE_LABELS` and the ``vocabulary``'s codes (its ``labels``)."""
    own = {c: vocabulary.label(c) for c in vocabulary.codes} if vocabulary is not None else {}
    return {**CODE_LABELS, **own}


def _surname(authors: str) -> str:
    first = authors.split(";")[0].strip()
    etal = bool(re.search(r"\bet al\.?", first)) or "et al" in authors
    first = re.sub(r"\s*\bet al\.?", "", first).strip().rstrip(",")
    tokens = first.split()
    if not tokens:
        return ""
    if len(tokens) > 1 and _INITIALS.match(tokens[-1]):
        return " ".join(tokens[:-1])  # "Nicolian S", "DeBar LL"
    if etal or len(tokens) == 1:
        return first  # "Svahn Ekdahl et al.", "Zeng"
    return tokens[-1]  # "Ganiyu Oluwaleke Sokunbi": given names first


def _study_base(row: Mapping[str, str]) -> str:
    year = str(row.get("year") or "").strip()
    year = year[:-2] if year.endswith(".0") else year
    name = _surname(str(row.get("authors") or ""))
    if not name:
        words = str(row.get("title") or "").split()
        name = " ".join(words[:4]) + ("…" if len(words) > 4 else "") if words else "Unnamed trial"
    return f"{name} {year}" if year else f"{name} (n.d.)"


def _arm_full(row: Mapping[str, str]) -> str:
    text = _PARENS.sub("", str(row.get("intervention") or "")).strip()
    return _PLUS.sub(" + ", re.sub(r"\s+", " ", text))


def _arm_text(row: Mapping[str, str], codes: Mapping[str, str]) -> str:
    text = _arm_full(row)
    if text and len(text) <= ARM_LABEL_MAX:
        return text[0].lower() + text[1:] if text[:2].istitle() else text
    kind = str(row.get("technique") or "")
    if kind in ("", "unspecified"):  # the needling is not reported: the arm's type says it
        kind = str(row.get("arm_type") or "")
    return codes.get(kind, kind).lower() if kind else "arm"


@dataclass(frozen=True)
class LabelMap:
    """Code -> human label, for codes, config ids, studies and arms."""

    codes: Mapping[str, str] = field(default_factory=lambda: dict(CODE_LABELS))
    outcomes: Mapping[str, str] = field(default_factory=dict)
    comparisons: Mapping[str, str] = field(default_factory=dict)
    studies: Mapping[str, str] = field(default_factory=dict)
    arms: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def code(self, value: object) -> str:
        """Label of a vocabulary code; the text itself when it is not a code."""
        text = str(value)
        return self.codes.get(text, text)

    def study(self, study_id: str) -> str:
        return self.studies.get(study_id, study_id)

    def arm(self, study_id: str, arm_id: str) -> str:
        return self.arms.get((study_id, arm_id), arm_id)

    def comparison_row(self, study_id: str, arm_1: str, arm_2: str) -> str:
        """ "Author Year (intervention vs control)"."""
        arms = f"{self.arm(study_id, arm_1)} vs {self.arm(study_id, arm_2)}"
        return f"{self.study(study_id)} ({arms})"

    def outcome(self, outcome_id: str) -> str:
        return self.outcomes.get(outcome_id, self.code(outcome_id))

    def comparison(self, comparison_id: str) -> str:
        return self.comparisons.get(comparison_id, self.code(comparison_id))

    def control(self, comparison_id: str) -> str:
        """The comparator part of a comparison label: "Usual care or no treatment"."""
        text = self.comparison(comparison_id)
        text = text.split(" vs ", 1)[1] if " vs " in text else text
        text = _PARENS.sub("", text).strip()
        return text[:1].upper() + text[1:]

    def analysis(self, analysis_id: str) -> str:
        """``pain_eot__sham`` -> "Pain (0-100), end of treatment: acupuncture vs sham"."""
        outcome, _, comparison = analysis_id.partition("__")
        if not comparison:
            return self.outcome(outcome)
        comp = self.comparison(comparison)
        return f"{self.outcome(outcome)}: {comp[:1].lower() + comp[1:]}"


def _study_labels(studies: Iterable[Mapping[str, str]]) -> dict[str, str]:
    rows = list(studies)
    base = {str(r["study_id"]): _study_base(r) for r in rows}
    seen: dict[str, list[str]] = {}
    for sid, text in base.items():
        seen.setdefault(text, []).append(sid)
    for text, sids in seen.items():
        if len(sids) > 1 and not text.endswith("(n.d.)"):
            for letter, sid in zip("abcdefghij", sorted(sids), strict=False):
                base[sid] = text + letter
    return base


def label_map(config: Mapping[str, object], studies: Iterable[Mapping[str, str]] = (),
              arms: Iterable[Mapping[str, str]] = (),
              vocabulary: Vocabulary | None = None) -> LabelMap:  # fmt: skip
    """Build the map from the config (outcomes, comparisons), the studies and arms sheets
    and the review's vocabulary (the labels of its codes)."""
    codes = code_labels(vocabulary)
    outcomes = {str(o["id"]): str(o["label"]) for o in config.get("outcomes", [])}  # type: ignore[attr-defined]
    comparisons = {str(c["id"]): str(c["label"]) for c in config.get("comparisons", [])}  # type: ignore[attr-defined]
    arm_labels: dict[tuple[str, str], str] = {}
    full: dict[tuple[str, str], str] = {}
    for r in arms:
        key = (str(r["study_id"]), str(r["arm_id"]))
        arm_labels.setdefault(key, _arm_text(r, codes))
        full.setdefault(key, _arm_full(r) or key[1])
    for key, text in arm_labels.items():  # two arms of one trial never share a label
        if any(k[0] == key[0] and k != key and t == text for k, t in arm_labels.items()):
            arm_labels[key] = full[key]
    return LabelMap(codes, outcomes, comparisons, _study_labels(studies), arm_labels)


def identifiers(labels: LabelMap, extra: Iterable[str] = ()) -> frozenset[str]:
    """Raw codes no reader should meet: snake_case codes, config ids, analysis ids, study ids."""
    codes = {c for c in labels.codes if "_" in c}
    for values in schema_codes().values():
        codes.update(v for v in values if "_" in v)
    ids = set(labels.outcomes) | set(labels.comparisons) | set(labels.studies)
    ids |= {f"{o}__{c}" for o in labels.outcomes for c in labels.comparisons}
    return frozenset(codes | {i for i in ids if "_" in i or re.search(r"[A-Za-z]\d{4}", i)}
                     | set(extra))  # fmt: skip

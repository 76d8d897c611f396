"""What the fits of one outcome read, in one file per outcome (``outcome_data/<id>.json``).

The data build writes, beside the combined ``comparisons.csv``, one file per outcome
window with exactly what :func:`trialmeta.review.outcome.fit_outcome` uses for it:

- ``effects``: that outcome's rows of ``comparisons.csv`` as the fits read the whole table
  (:func:`~trialmeta.io.jsonio.read_records`), each column with the whole table's dtype
  (:mod:`trialmeta.io.frame_json`), without ``notes`` (text for the reader, which the
  tables join back from ``comparisons.csv``; no fit reads it);
- ``controls``: (study, arm) → (verbatim intervention, kind of sham) of those rows' trials
  (:func:`~trialmeta.review.annotate.control_lookup`);
- ``risk_of_bias``: the risk of bias of each (study, outcome code, control type) result of
  those rows, as :func:`~trialmeta.review.annotate.result_rob_lookup` judges it from the
  risk-of-bias sheet and the vocabulary.

So an edit of one trial's row changes only the files of the outcomes that trial enters,
and the file of every other outcome stays byte-identical (sorted keys and rows, no times),
which lets Snakemake skip their fits (its input checksums; see workflow/rules/data.smk).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialmeta.errors import IntermediateError
from trialmeta.io.frame_json import frame_from_data, frame_to_data
from trialmeta.review.annotate import control_lookup, result_rob_lookup
from trialmeta.review.results import EffectRow

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import pandas as pd

    from trialmeta.data.vocabulary import Vocabulary

__all__ = [
    "FitInputs",
    "fit_inputs",
    "outcome_rows",
    "outcome_studies",
    "read_fit_inputs",
    "reader_columns",
    "with_reader_columns",
]

#: Columns of ``comparisons.csv`` that no fit reads (joined back by the tables).
READER_ONLY = ("notes",)

FitInputs = tuple[
    "pd.DataFrame", "Callable[[EffectRow], str]", "dict[tuple[str, str], tuple[str, str]]"
]


def _rob_key(row: EffectRow) -> tuple[str, str, str]:
    """What a result's risk of bias depends on besides the sheets: its trial, outcome code
    and control type (as :func:`~trialmeta.review.annotate.result_rob_lookup` reads them)."""
    return (row.study_id, str(row.get("outcome")), str(row.get("control_type")))


def outcome_rows(effects: pd.DataFrame, outcome_id: str) -> pd.DataFrame:
    """The rows of ``outcome_id`` in the whole effect table (none when it has no rows)."""
    if "outcome_id" not in effects.columns:
        return effects.iloc[0:0]
    return effects.loc[effects["outcome_id"].astype(str) == outcome_id]


def outcome_studies(effects: pd.DataFrame, outcome_id: str) -> set[str]:
    """The trials that enter ``outcome_id`` (study ids of its effect rows)."""
    rows = outcome_rows(effects, outcome_id)
    return {str(s) for s in rows["study_id"]} if "study_id" in rows.columns else set()


def fit_inputs(
    effects: pd.DataFrame,
    arms: pd.DataFrame | None,
    rob: pd.DataFrame | None,
    vocabulary: Vocabulary,
    outcome_id: str,
) -> dict[str, Any]:
    """The fit inputs of ``outcome_id`` (JSON data) from the whole effect table (as
    :func:`~trialmeta.io.jsonio.read_records` read it), the arms and risk-of-bias sheets
    (text) and the vocabulary."""
    rows = outcome_rows(effects, outcome_id)
    rows = rows.drop(columns=[c for c in READER_ONLY if c in rows.columns])
    studies = outcome_studies(effects, outcome_id)
    controls = sorted([s, a, text, sham] for (s, a), (text, sham)
                      in control_lookup(arms, vocabulary).items() if s in studies)  # fmt: skip
    judge = result_rob_lookup(rob, vocabulary)
    results = [EffectRow({str(k): v for k, v in r.items()}, outcome_id, float("nan"))
               for r in rows.to_dict(orient="records")]  # fmt: skip
    judged = sorted({(*_rob_key(r), judge(r)) for r in results})
    return {
        "outcome_id": outcome_id,
        "effects": frame_to_data(rows.reset_index(drop=True)),
        "controls": controls,
        "risk_of_bias": judged,
    }


def read_fit_inputs(data: Mapping[str, Any], source: str) -> FitInputs:
    """(effect rows, risk-of-bias lookup, controls) for
    :func:`~trialmeta.review.outcome.fit_outcome`, from the data :func:`fit_inputs` made."""
    try:
        rows = frame_from_data(data["effects"], source)
        controls = {(str(s), str(a)): (str(t), str(k)) for s, a, t, k in data["controls"]}
        judged = {(str(s), str(o), str(c)): str(j) for s, o, c, j in data["risk_of_bias"]}
    except (KeyError, TypeError, ValueError):
        raise IntermediateError(
            f"{source}: not the fit inputs of one outcome (expected "
            "effects, controls and risk_of_bias)"
        ) from None

    def rob(row: EffectRow) -> str:
        key = _rob_key(row)
        if key not in judged:
            raise IntermediateError(
                f"{source}: no risk of bias for result {key} (expected "
                "one for every result of the outcome's effect rows)"
            )
        return judged[key]

    return rows, rob, controls


#: The columns that identify one row of ``comparisons.csv`` (unique: one unit of one outcome
#: window, comparison and timepoint).
ROW_KEY = (
    "study_id",
    "outcome_id",
    "comparison",
    "member",
    "arm_id_1",
    "arm_id_2",
    "timepoint_weeks",
    "measure",
    "instrument",
)


def _key_value(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return str(value)


def _row_key(row: Mapping[str, object]) -> tuple[object, ...]:
    return tuple(_key_value(row.get(c)) for c in ROW_KEY)


def reader_columns(effects: pd.DataFrame) -> dict[tuple[object, ...], dict[str, object]]:
    """Row key → the :data:`READER_ONLY` columns of that row of the whole effect table."""
    cols = [c for c in READER_ONLY if c in effects.columns]
    records = [{str(k): v for k, v in r.items()} for r in effects.to_dict(orient="records")]
    return {_row_key(r): {c: r[c] for c in cols} for r in records}


def with_reader_columns(records: list[dict[str, object]],
                        table: Mapping[tuple[object, ...], Mapping[str, object]],
                        source: str) -> list[dict[str, object]]:  # fmt: skip
    """Effect records (of the analyses) with the :data:`READER_ONLY` columns of their rows
    of ``comparisons.csv`` (``table`` from :func:`reader_columns`) joined back."""
    out = []
    for r in records:
        key = _row_key(r)
        if key not in table:
            raise IntermediateError(
                f"{source}: no row {dict(zip(ROW_KEY, key, strict=True))} "
                "(expected every effect row of the analyses)"
            )
        out.append({**r, **table[key]})
    return out

"""A table as plain JSON data that reads back with the same columns, dtypes and values.

The per-outcome inputs of the analysis rules (``results/outcome_data/<outcome>.json``)
hold a slice of ``results/comparisons.csv`` as :func:`~trialmeta.io.jsonio.read_records`
parsed the whole table. A slice read back from CSV would have its column types guessed
again from fewer rows (an id column of digits would become numbers, an integer column
with a blank elsewhere would lose its float type), so the fit of a slice could differ
from the fit of the whole table. Here each column keeps the dtype the whole table had.

Floats are written by :func:`json.dumps` (shortest repr, exact round trip); NaN is
``null`` and reads back as NaN in a float column, as ``None`` in a text column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialmeta.errors import IntermediateError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["frame_from_data", "frame_to_data"]

_DTYPES = ("object", "str", "int64", "float64", "bool")


def _cell(value: Any, dtype: str) -> Any:
    if dtype in ("object", "str"):
        return None if value is None or value != value else str(value)  # NaN != NaN
    if dtype == "float64":
        v = float(value)
        return None if v != v else v
    return int(value) if dtype == "int64" else bool(value)


def frame_to_data(df: pd.DataFrame) -> dict[str, Any]:
    """``{"columns": [...], "dtypes": [...], "rows": [[...], ...]}`` of ``df`` (index
    dropped); every dtype is one of object, str (pandas' text dtype), int64, float64 or
    bool."""
    dtypes = [str(t) for t in df.dtypes]
    for col, t in zip(df.columns, dtypes, strict=True):
        if t not in _DTYPES:
            raise IntermediateError(
                f"column {col}: dtype {t} cannot be written (expected one of {', '.join(_DTYPES)})"
            )
    rows = [[_cell(v, t) for v, t in zip(r, dtypes, strict=True)]
            for r in df.itertuples(index=False, name=None)]  # fmt: skip
    return {"columns": [str(c) for c in df.columns], "dtypes": dtypes, "rows": rows}


def frame_from_data(data: dict[str, Any], source: str = "table") -> pd.DataFrame:
    """The table :func:`frame_to_data` wrote (``source`` names it in an error)."""
    import pandas as pd  # only where a table is read

    try:
        columns, dtypes, rows = list(data["columns"]), list(data["dtypes"]), list(data["rows"])
    except (KeyError, TypeError):
        raise IntermediateError(
            f"{source}: not a table (expected columns, dtypes and rows)"
        ) from None
    df = (
        pd.DataFrame(rows, columns=columns, dtype=object)
        if rows
        else pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    )
    return df.astype(dict(zip(columns, dtypes, strict=True))) if columns else df

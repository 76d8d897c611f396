"""Deterministic JSON and CSV reading/writing for the workflow's intermediate files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from trialmeta._jsonable import to_jsonable
from trialmeta.errors import IntermediateError
from trialmeta.io.outputs import naming

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["dumps", "read_json", "read_record_dicts", "read_records", "write_json", "write_text"]


def dumps(obj: object) -> str:
    """Strict JSON (NaN → null), sorted keys, 1-space indent, trailing newline."""
    return json.dumps(to_jsonable(obj), sort_keys=True, indent=1, ensure_ascii=False,
                      allow_nan=False) + "\n"  # fmt: skip


def write_json(path: str | Path, obj: object) -> None:
    """Write :func:`dumps` of ``obj`` to ``path`` (UTF-8, parents created)."""
    write_text(path, dumps(obj))


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` as UTF-8 with ``\\n`` line ends (parents created)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with naming(path):
        Path(path).write_text(text, encoding="utf-8", newline="\n")


def read_json(path: str | Path) -> object:
    """Parse a JSON file; text that is not JSON (a truncated file) is an
    :class:`~trialmeta.errors.IntermediateError` located at its line and column."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise IntermediateError(
            f"{path}:{err.lineno}:{err.colno}: not valid JSON (got "
            f"{err.msg.lower()}, expected the JSON its rule wrote)"
        ) from None


def read_records(path: str | Path | IO[str]) -> pd.DataFrame:
    """Read a CSV written by :mod:`trialmeta.io.safe_csv`, undoing the apostrophe guard.

    Empty cells become NaN; numeric columns are parsed as numbers.
    """
    import pandas as pd  # only where a table is read (the JSON readers need no pandas)

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in df.columns:
        vals = df[col].map(lambda s: s[1:] if s[:2] in {"'=", "'+", "'-", "'@"} else s)
        num = pd.to_numeric(vals.replace("", None), errors="coerce")
        if num.notna().sum() == (vals != "").sum() and (vals != "").any():
            df[col] = num
        else:
            df[col] = vals.replace("", None)
    return df


def read_record_dicts(path: str | Path | IO[str], blank: Any = None) -> list[dict[str, object]]:
    """:func:`read_records` as a list of row dicts; empty cells become ``blank``."""
    df = read_records(path).astype(object)
    return [
        {str(k): v for k, v in r.items()}
        for r in df.where(df.notna(), blank).to_dict(orient="records")
    ]

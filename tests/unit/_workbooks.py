"""The shipped CSV sheets as the tabs of one .xlsx workbook, for workbook tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parents[2] / "data"


def shipped_workbook(path: Path) -> Path:
    """Write ``data/*.csv`` as the tabs studies, arms, contrasts, risk_of_bias of ``path``."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("studies", "arms", "contrasts", "risk_of_bias"):
        df = pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)
        ws = book.create_sheet(name)
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append(list(row))
    book.save(path)
    return path

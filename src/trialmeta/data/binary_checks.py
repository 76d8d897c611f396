"""Checks of the ``arms.csv`` rows of binary and continuous outcomes (called by
:mod:`trialmeta.data.cross_checks`).

A binary outcome (vocabulary ``type: binary``) is reported as ``events`` of ``n`` per arm;
a continuous one by its summary statistics. So a binary row needs both counts, with
``events <= n``, and no mean, SD or quantile; a continuous row has no ``events``. (That a
count is a whole number >= 0 is the schema's check.) Each problem is one
``file:row:column: ... (got ..., expected ...)`` line, all of them at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = ["CONTINUOUS_STATISTICS", "check_outcome_kinds"]

#: The columns of a continuous outcome's summary statistics (none belongs on a binary row).
CONTINUOUS_STATISTICS = ("mean", "sd", "se", "ci_lb", "ci_ub", "median", "q1", "q3", "min", "max")


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def check_outcome_kinds(
    arms: pd.DataFrame, label: str, problems: list[str], binary_outcomes: Iterable[str] | None
) -> None:
    """Append the problems of binary rows (counts) and of ``events`` on continuous rows.

    ``binary_outcomes`` None (the vocabulary is missing or invalid): which outcomes are
    binary is unknown, so only ``events <= n`` is checked.
    """
    binary = None if binary_outcomes is None else set(binary_outcomes)
    unreadable = arms.attrs.get("unreadable_cells", frozenset())
    for r in arms.to_dict("records"):
        line, events, n = r["_row"], r.get("events"), r.get("n")
        if (line, "events") in unreadable or (line, "n") in unreadable:
            continue  # its own problem is reported already
        if (
            events is not None
            and n is not None
            and not (_blank(events) or _blank(n))
            and events > n
        ):
            problems.append(
                f"{label}:{line}:events: more events than participants (got "
                f"events={events:g} with n={n:g}, expected events <= n)"
            )
        if binary is None or r.get("outcome") is None:
            continue
        if r["outcome"] in binary:
            _binary_row(r, label, problems)
        elif not _blank(events):
            problems.append(
                f"{label}:{line}:events: events on a continuous outcome (got "
                f"events={events:g} for outcome {r['outcome']}, expected an empty "
                "cell: only outcomes the vocabulary declares binary count events)"
            )


def _binary_row(r: dict[Any, Any], label: str, problems: list[str]) -> None:
    line, events, n = r["_row"], r.get("events"), r.get("n")
    for col in CONTINUOUS_STATISTICS:
        if not _blank(r.get(col)):
            problems.append(
                f"{label}:{line}:{col}: a {col} on a binary outcome (got "
                f"{col}={r[col]:g} for outcome {r['outcome']}, expected an empty cell: "
                "a binary outcome is reported as events of n)"
            )
    if _blank(events) and not _blank(n):
        problems.append(
            f"{label}:{line}:events: missing for a binary outcome (got an empty "
            f"cell with n={n:g}, expected the number of participants with the event)"
        )
    elif _blank(n) and not _blank(events):
        problems.append(
            f"{label}:{line}:n: missing for a binary outcome (got an empty cell "
            f"with events={events:g}, expected the participants the events are of)"
        )

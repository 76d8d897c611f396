"""The result of one GRADE domain: levels rated down, the words, a sentence with its numbers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["SEVERITY", "Judgement", "fmt", "share"]

#: GRADE words for 0, 1, 2 levels rated down (Guyatt et al., J Clin Epidemiol 2011;64:383-394).
SEVERITY = {0: "not serious", 1: "serious", 2: "very serious"}


@dataclass(frozen=True)
class Judgement:
    """One domain's judgement. ``numbers`` holds every number the sentence quotes."""

    domain: str
    downgrade: int
    judgement: str
    sentence: str
    numbers: Mapping[str, float | str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready copy (NaN numbers become None)."""
        nums = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in self.numbers.items()
        }
        return {
            "domain": self.domain,
            "downgrade": self.downgrade,
            "judgement": self.judgement,
            "sentence": self.sentence,
            "numbers": nums,
        }


def fmt(x: float, nd: int = 1) -> str:
    """A number for a sentence: fixed decimals, a true minus sign, "NA" when not finite.

    >>> fmt(-1.25), fmt(float("nan"))
    ('−1.2', 'NA')
    """
    if not math.isfinite(x):
        return "NA"
    return f"{x:.{nd}f}".replace("-", "−")


def share(weights: Mapping[str, float], pick: Mapping[str, bool]) -> float:
    """Percent of the total weight on the trials where ``pick`` is true."""
    total = sum(weights.values())
    if total <= 0:
        return math.nan
    return 100.0 * sum(w for s, w in weights.items() if pick.get(s, False)) / total

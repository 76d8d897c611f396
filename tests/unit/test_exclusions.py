"""ExclusionReason: every code distinct, precedence by declaration order, used by the build."""

from pathlib import Path

from trialmeta.effects.comparisons import build_comparisons
from trialmeta.effects.exclusions import ExclusionReason, first_reason

DATA = Path(__file__).parents[2] / "data"


def test_codes_and_sentences_are_distinct_and_non_empty():
    codes = [r.code for r in ExclusionReason]
    assert len(set(codes)) == len(codes)
    assert all(r.sentence and r.sentence[0].islower() for r in ExclusionReason)


def test_precedence_is_declaration_order():
    # an arm without n cannot be used whatever else it reports (Handbook 6.5.2)
    both = [ExclusionReason.NO_SD_NO_CI, ExclusionReason.N_MISSING]
    assert first_reason(both) is ExclusionReason.N_MISSING
    assert first_reason([ExclusionReason.NOT_USABLE]) is ExclusionReason.NOT_USABLE


def test_shipped_accounting_codes_are_enum_codes():
    acc = build_comparisons(DATA).accounting
    excluded = acc.loc[acc["status"] != "poolable", "reason_code"]
    assert len(excluded) > 0
    assert set(excluded) <= {r.code for r in ExclusionReason}
    assert (acc.loc[acc["status"] == "poolable", "reason_code"] == "").all()

"""The metafor reference grid has not shrunk and every case has all its fields.

Checks only the shape of tests/reference/metafor_reference.json (written by
tests/reference/make_reference.R); it needs neither R nor trialmeta. The numbers
themselves are compared with trialmeta in test_metafor_reference.py.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

REF_PATH = Path(__file__).with_name("metafor_reference.json")

METHODS = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
TESTS = ("z", "knha")
SHORT_METHODS = ("FE", "DL", "REML", "PM")  # trimfill, leave1out
METAREG_METHODS = ("DL", "REML", "PM", "ML")

HEADER = ("metafor_version", "metadat_version", "R_version", "generated_by", "generated_on",
          "controls")  # fmt: skip
POOL_FIELDS = (
    "dataset", "k", "method", "test", "level", "estimate", "se", "ci_lb", "ci_ub", "stat",
    "pval", "df", "tau2", "tau2_se", "q", "q_df", "q_pval", "i2_percent", "h2", "tau2_ci_lb",
    "tau2_ci_ub", "i2_ci_lb", "i2_ci_ub", "h2_ci_lb", "h2_ci_ub", "pi_lb", "pi_ub",
    "controls", "metafor_default", "independent_tau2",
)  # fmt: skip
DEFAULT_FIELDS = ("ok", "error", "tau2", "estimate")
POOL_K1_FIELDS = ("dataset", "k", "method", "test", "ok", "error", "estimate", "se", "tau2")
ESCALC_FIELDS = ("dataset", "measure", "yi", "vi")
EGGER_FIELDS = ("dataset", "k", "stat", "pval", "df", "limit_estimate", "limit_ci_lb",
                "limit_ci_ub", "bias", "bias_se", "exact_fit")  # fmt: skip
BEGG_FIELDS = ("dataset", "k", "tau", "pval", "ties")
TRIMFILL_FIELDS = ("dataset", "k", "method", "k0", "se_k0", "side", "estimate", "se", "ci_lb",
                   "ci_ub", "pval", "tau2", "filled_yi", "filled_vi")  # fmt: skip
LEAVE1OUT_ARRAYS = (
    "estimate",
    "se",
    "ci_lb",
    "ci_ub",
    "pval",
    "tau2",
    "i2_percent",
    "q",
    "stat",
    "q_pval",
    "h2",
)
METAREG_FIELDS = (
    "dataset", "moderators", "method", "test", "coef", "se", "stat", "pval", "ci_lb", "ci_ub",
    "tau2", "i2_percent", "h2", "r2_percent", "qe", "qe_pval", "qm", "qm_pval", "qm_df", "df",
)  # fmt: skip


def _no_constant(name: str) -> float:
    raise ValueError(f"non-standard JSON constant {name} in {REF_PATH.name}")


REF = json.loads(REF_PATH.read_text(encoding="utf-8"), parse_constant=_no_constant)
DATA = REF["datasets"]


def _missing(record: dict, fields: tuple[str, ...]) -> list[str]:
    return [f for f in fields if f not in record]


def _names_with_k(minimum: int) -> set[str]:
    return {name for name, d in DATA.items() if d["k"] >= minimum}


def test_header_records_versions():
    assert not _missing(REF, HEADER)
    for key in ("metafor_version", "metadat_version", "R_version"):
        assert isinstance(REF[key], str) and REF[key], key
    assert REF["controls"]["tight"]["threshold"] <= 1e-10


def test_datasets_cover_the_space():
    assert len(DATA) >= 14
    for name, d in DATA.items():
        assert not _missing(d, ("source", "k", "yi", "vi")), name
        assert len(d["yi"]) == len(d["vi"]) == d["k"], name
        if "moderators" in d:
            assert len(d["moderators"]) == d["k"], name
            assert all(len(row) == len(d["moderator_names"]) for row in d["moderators"]), name
    ks = {d["k"] for d in DATA.values()}
    assert {1, 2, 3} <= ks and max(ks) >= 100
    assert sum(name.startswith("synthetic_") for name in DATA) >= 8
    assert sum("m1i" in d for d in DATA.values()) >= 2


def test_escalc_has_md_and_smd_for_every_arm_level_set():
    got = {(r["dataset"], r["measure"]) for r in REF["escalc"]}
    arm_sets = {r["dataset"] for r in REF["escalc"]}
    assert len(arm_sets) >= 2
    assert got == {(name, m) for name in arm_sets for m in ("MD", "SMD")}
    for r in REF["escalc"]:
        assert not _missing(r, ESCALC_FIELDS)
        assert len(r["yi"]) == len(r["vi"]) == DATA[r["dataset"]]["k"]


def test_pool_grid_is_complete():
    combos: dict[tuple[str, float], set[tuple[str, str]]] = defaultdict(set)
    for r in REF["pool"]:
        combos[(r["dataset"], r["level"])].add((r["method"], r["test"]))
    full = {(m, t) for m in METHODS for t in TESTS}
    at_95 = {name for (name, level) in combos if level == 0.95}
    assert at_95 == _names_with_k(2)
    assert all(combos[(name, 0.95)] == full for name in at_95)
    assert sum(r["level"] == 0.95 for r in REF["pool"]) >= 14 * 9 * 2
    at_90 = [name for (name, level), c in combos.items() if level == 0.90 and c == full]
    assert len(at_90) >= 2


@pytest.mark.parametrize("section", ["pool"])
def test_every_pool_record_has_every_field(section):
    for r in REF[section]:
        assert not _missing(r, POOL_FIELDS), (r["dataset"], r["method"], r["test"])
        assert not _missing(r["metafor_default"], DEFAULT_FIELDS), r["dataset"]
        assert r["q_df"] == r["k"] - 1
        assert (r["df"] is None) == (r["test"] == "z")
        assert (r["pi_lb"] is None) == (r["k"] < 3)


def test_pool_k1_is_recorded():
    assert {(r["method"], r["test"]) for r in REF["pool_k1"]} == {
        (m, t) for m in METHODS for t in TESTS
    }
    for r in REF["pool_k1"]:
        assert not _missing(r, POOL_K1_FIELDS)
        assert r["k"] == 1


@pytest.mark.parametrize(("section", "fields"), [("egger", EGGER_FIELDS),
                                                 ("begg", BEGG_FIELDS)])  # fmt: skip
def test_bias_tests_cover_every_set_with_k_at_least_3(section, fields):
    assert {r["dataset"] for r in REF[section]} == _names_with_k(3)
    for r in REF[section]:
        assert not _missing(r, fields), r["dataset"]
    if section == "begg":
        assert any(r["ties"] for r in REF[section])
        assert any(not r["ties"] for r in REF[section])


def test_trimfill_grid_is_complete():
    got = {(r["dataset"], r["method"]) for r in REF["trimfill"]}
    assert got == {(name, m) for name in _names_with_k(3) for m in SHORT_METHODS}
    for r in REF["trimfill"]:
        assert not _missing(r, TRIMFILL_FIELDS), (r["dataset"], r["method"])
        if r["k0"] is not None:
            assert len(r["filled_yi"]) == len(r["filled_vi"]) == r["k0"]


def test_leave1out_grid_is_complete():
    combos: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in REF["leave1out"]:
        combos[r["dataset"]].add((r["method"], r["test"]))
        k = DATA[r["dataset"]]["k"]
        for f in LEAVE1OUT_ARRAYS:
            assert len(r[f]) == k, (r["dataset"], r["method"], r["test"], f)
    assert len(combos) >= 6
    assert any(DATA[name]["k"] == 3 for name in combos)
    full = {(m, t) for m in SHORT_METHODS for t in TESTS}
    assert all(c == full for c in combos.values())


def test_metareg_grid_is_complete():
    combos: dict[tuple[str, tuple[str, ...]], set[tuple[str, str]]] = defaultdict(set)
    for r in REF["metareg"]:
        assert not _missing(r, METAREG_FIELDS), (r["dataset"], r["method"], r["test"])
        mods = tuple(r["moderators"])
        assert set(mods) <= set(DATA[r["dataset"]]["moderator_names"])
        assert len(r["coef"]) == len(mods) + 1
        combos[(r["dataset"], mods)].add((r["method"], r["test"]))
    assert len(combos) >= 3
    full = {(m, t) for m in METAREG_METHODS for t in TESTS}
    assert all(c == full for c in combos.values())


# --- metafor_binary.json (make_binary_reference.R) -----------------------------------------

BINARY = json.loads(REF_PATH.with_name("metafor_binary.json").read_text(encoding="utf-8"),
                    parse_constant=_no_constant)  # fmt: skip
BINARY_MEASURES = ("RR", "OR", "RD", "PETO")
ZERO_RULES = {(0.5, "only0", False), (0.5, "all", False), (0.5, "if0all", False),
              (0.5, "none", False), (0.5, "only0", True), (0.25, "only0", False)}  # fmt: skip
ARM_VTYPES = {"MD": {"LS", "HO"}, "SMD": {"LS", "UB", "LS2", "AV"}, "SMDH": {"LS", "LS2"},
              "ROM": {"LS", "HO", "AV", "AVHO"}}  # fmt: skip
MH_FIELDS = ("estimate", "se", "ci_lb", "ci_ub", "zval", "pval", "q", "q_pval", "i2_percent",
             "h2", "cmh", "cmh_pval", "cochran", "cochran_pval", "tarone", "tarone_pval",
             "k", "k_yi", "k_pos", "error", "call")  # fmt: skip


def test_binary_header_and_tables_cover_the_space():
    assert not _missing(BINARY, ("metafor_version", "metadat_version", "R_version",
                                 "generated_by", "generated_on"))  # fmt: skip
    tables = BINARY["tables"]
    assert {"bcg", "lee2004", "yusuf1985_table6", "collins1985a_deaths",
            "nielweise2007"} <= set(tables)  # fmt: skip
    ks = {t["k"] for t in tables.values()}
    assert {1, 2} <= ks and max(ks) >= 100
    double_zero = [
        n
        for n, t in tables.items()
        if any(a == c == 0 for a, c in zip(t["ai"], t["ci"], strict=True))
    ]
    assert len(double_zero) >= 3
    for t in tables.values():
        assert len(t["ai"]) == len(t["bi"]) == len(t["ci"]) == len(t["di"]) == t["k"]
    assert len(BINARY["arms"]) >= 4


def test_binary_escalc_grid_is_complete():
    got = {(r["dataset"], r["measure"], r["add"], r["to"], r["drop00"], r["vtype"])
           for r in BINARY["escalc_binary"]}  # fmt: skip
    want = {(t, m, *rule, "LS") for t in BINARY["tables"] for m in BINARY_MEASURES
            for rule in ZERO_RULES}  # fmt: skip
    want |= {(t, "RD", 0.5, "only0", False, v) for t in BINARY["tables"] for v in ("UB", "AV")}
    assert got == want
    for r in BINARY["escalc_binary"]:
        assert len(r["yi"]) == len(r["vi"]) == BINARY["tables"][r["dataset"]]["k"]


def test_continuous_escalc_grid_is_complete():
    got = {(r["dataset"], r["measure"], r["vtype"], r["correct"])
           for r in BINARY["escalc_continuous"]}  # fmt: skip
    want = {
        (a, m, v, c)
        for a in BINARY["arms"]
        for m, vs in ARM_VTYPES.items()
        for v in vs
        for c in (("exact", "approx", "none") if m in ("SMD", "SMDH") else ("exact",))
    }
    assert got == want


def test_mh_peto_and_rma_grids_are_complete():
    mh = {(r["dataset"], r["measure"], r["rule"], r["correct"]) for r in BINARY["mh"]}
    rules = ("default", "added")
    want = {(t, m, rule, c) for t in BINARY["tables"] for rule in rules
            for m, c in (("OR", True), ("OR", False), ("RR", True), ("RD", True))}  # fmt: skip
    assert mh == want
    for r in BINARY["mh"]:
        assert not _missing(r, MH_FIELDS), (r["dataset"], r["measure"])
    assert {(r["dataset"], r["rule"]) for r in BINARY["peto"]} == {
        (t, rule) for t in BINARY["tables"] for rule in rules
    }
    assert any(r["error"] for r in BINARY["peto"])  # metafor's stop is a case too
    combos: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for r in BINARY["rma"]:
        combos[(r["dataset"], r["measure"])].add((r["method"], r["test"]))
    assert len(combos) >= 6 * 3
    assert all(c == {(m, t) for m in SHORT_METHODS for t in TESTS} for c in combos.values())


# --- metafor_functions.json (make_functions_reference.R) -----------------------------------

FUNCTIONS = json.loads(REF_PATH.with_name("metafor_functions.json").read_text(encoding="utf-8"),
                       parse_constant=_no_constant)  # fmt: skip
MODEL_FIELDS = ("model", "call", "k", "beta", "se", "tau2", "s2w", "fitted", "hat",
                "weight_percent", "residuals", "rstandard", "fit_stats", "predict", "influence",
                "rstudent")  # fmt: skip
PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")


def _model_key(m: dict) -> tuple:
    return (m["dataset"], tuple(m["mods"]), m["method"], m["test"], m["tau2"], m["weights"])


def test_function_models_cover_every_method_and_option():
    models = [r["model"] for r in FUNCTIONS["models"]]
    keys = {_model_key(m) for m in models}
    assert len(keys) == len(models) >= 118
    int_only = {(m["dataset"], m["method"], m["test"]) for m in models
                if not m["mods"] and m["tau2"] is None and m["weights"] is None}  # fmt: skip
    sets = {d for d, _, _ in int_only}
    assert len(sets) >= 6
    assert int_only == {(d, m, t) for d in sets for m in ("FE", "DL", "REML", "ML", "PM")
                        for t in TESTS}  # fmt: skip
    metareg = {(m["dataset"], tuple(m["mods"])) for m in models if m["mods"]}
    assert len(metareg) >= 5 and any(len(mods) == 2 for _, mods in metareg)
    assert sum(m["tau2"] is not None for m in models) >= 8
    assert sum(m["weights"] is not None for m in models) >= 10
    for r in FUNCTIONS["models"]:
        assert not _missing(r, MODEL_FIELDS), r["call"]
        assert ("newmods" in r) == bool(r["model"]["mods"])
        assert ("blup" in r) == (r["model"]["weights"] is None)
        assert len(r["influence"]["dfbetas"]) == r["k"]
        assert all(len(row) == len(r["beta"]) for row in r["influence"]["dfbetas"])
    pl = [r for r in FUNCTIONS["models"] if "confint_pl" in r]
    assert {r["model"]["method"] for r in pl} == {"ML", "REML"} and len(pl) >= 30
    assert sum("vcov" in r for r in FUNCTIONS["models"]) >= 40


def test_anova_regtest_trimfill_and_permutest_grids_are_complete():
    assert len(FUNCTIONS["anova"]) >= 8
    assert {a["full"]["method"] for a in FUNCTIONS["anova"]} >= {"ML", "REML", "FE"}
    assert any(a["refit"] for a in FUNCTIONS["anova"])
    reg = defaultdict(set)
    for r in FUNCTIONS["regtest"]:
        if not r["mods"]:
            reg[(r["dataset"], r["model"])].add((r["predictor"], r["method"], r["test"]))
    assert len({d for d, _ in reg}) >= 6
    rma_grid = {(p, m, t) for p in PREDICTORS for m in ("REML", "DL", "FE") for t in TESTS}
    assert all(c == (rma_grid if model == "rma" else {(p, "REML", "z") for p in PREDICTORS})
               for (_, model), c in reg.items())  # fmt: skip
    assert any(r["mods"] for r in FUNCTIONS["regtest"])
    tf = {(r["dataset"], r["method"]) for r in FUNCTIONS["trimfill_r0"]}
    assert len(tf) == len(FUNCTIONS["trimfill_r0"]) >= 9 * 4
    assert {m for _, m in tf} == set(SHORT_METHODS)
    assert any(r["k0"] for r in FUNCTIONS["trimfill_r0"] if not r["error"])
    perms = FUNCTIONS["permutest"]
    assert len(perms) >= 24
    controls = {json.dumps(p["control"], sort_keys=True) for p in perms}
    assert len(controls) >= 6
    assert any(p["model"]["tau2"] is not None for p in perms)
    assert any(p["model"]["weights"] for p in perms)
    assert any(len(p["model"]["mods"]) == 2 for p in perms)

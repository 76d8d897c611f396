"""pool_batch: row-by-row equality with pool(), metafor values, edge cases.

All data here are synthetic (random or hand-made numbers, no trial data).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialmeta.errors import InputError
from trialmeta.resampling.batch.engine import pool_batch, pool_batch_tests
from trialmeta.stats.pooling import pool

METHODS = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
TESTS = ("z", "knha")
RTOL = 1e-10  # relative; the absolute floor of each field is 1e-10 x its natural scale

# Fields compared, grouped by the scale that sets their absolute floor.
LOCATION = ("estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub")
VARIANCE = ("tau2", "tau2_se", "tau2_ci_lb", "tau2_ci_ub")
PERCENT = ("i2_percent", "i2_ci_lb", "i2_ci_ub")
UNITLESS = ("h2", "h2_ci_lb", "h2_ci_ub", "pval", "q_pval")
EXACT = ("k", "df", "q_df", "converged")

# A synthetic data set, with metafor 3.8-1 values from
# rma(yi, vi, method=m, test=t, control=list(tol=1e-12, threshold=1e-12, maxiter=1000)),
# and confint(r) for the tau^2 CI. (metafor's predict() uses z or t(k-1) for the PI;
# we use t(k-2), DESIGN.md, so PIs are compared with pool() only.)
SYN_Y = [0.10, 0.30, 0.35, 0.65, -0.05, 0.42]
SYN_V = [0.010, 0.020, 0.015, 0.040, 0.030, 0.025]
METAFOR = [
    # method, test, estimate, se, tau2, I2, tau2 CI lb, tau2 CI ub
    ("DL", "z", 0.276367455858559, 0.087643578284772,
     0.0247177691766362, 55.3360079213599, 0, 0.331990548587779),
    ("DL", "knha", 0.276367455858559, 0.0924514212997514,
     0.0247177691766362, 55.3360079213599, 0, 0.331990548587779),
    ("REML", "z", 0.276205796650851, 0.0872256548287351,
     0.0242967687104209, 54.911044742715, 0, 0.331990548587779),
    ("REML", "knha", 0.276205796650851, 0.0923847020749955,
     0.0242967687104209, 54.911044742715, 0, 0.331990548587779),
    ("PM", "z", 0.27835416723326, 0.0932792496312246,
     0.0306201020232243, 60.5489279086109, 0, 0.331990548587779),
    ("ML", "knha", 0.271538071030777, 0.090509960492944,
     0.0148633642807711, 42.6935147421528, 0, 0.331990548587779),
    ("SJ", "z", 0.28021959479848, 0.0995917060788371,
     0.037722518167484, 65.4072963361716, 0, 0.331990548587779),
    ("HE", "knha", 0.280054200987649, 0.0939973119888719,
     0.0370166666666667, 64.9786773469691, 0, 0.331990548587779),
    ("HS", "z", 0.272522704137769, 0.079002554375419,
     0.0164911116710059, 45.2532223398397, 0, 0.331990548587779),
    ("EB", "z", 0.278354167233264, 0.093279249631237,
     0.0306201020232377, 60.5489279086214, 0, 0.331990548587779),
]  # fmt: skip


def _close(name: str, got: float, want: float, atol: float) -> None:
    if np.isnan(want):
        assert np.isnan(got), f"{name}: got {got}, pool() gives NaN"
        return
    if np.isinf(want):
        assert got == want, f"{name}: got {got}, pool() gives {want}"
        return
    assert abs(got - want) <= atol + RTOL * abs(want), f"{name}: got {got!r}, pool() gives {want!r}"


def assert_row_equals_pool(r, i: int, y: np.ndarray, v: np.ndarray) -> None:
    """Row ``i`` of a batch result equals ``pool(y, v)`` field by field."""
    p = pool(y, v, r.method, r.test, r.level)
    loc = 1e-10 * (np.max(np.abs(y)) + np.sqrt(np.max(v)))
    var = 1e-10 * (np.max(v) + np.ptp(y) ** 2)
    for name in EXACT:
        want, got = getattr(p, name), getattr(r, name)[i]
        assert (np.isnan(want) and np.isnan(got)) or got == want, f"{name}: {got} vs {want}"
    for name in LOCATION:
        _close(name, getattr(r, name)[i], getattr(p, name), loc)
    for name in VARIANCE:
        _close(name, getattr(r, name)[i], getattr(p, name), var)
    for name in PERCENT:
        _close(name, getattr(r, name)[i], getattr(p, name), 1e-8)
    for name in UNITLESS:
        _close(name, getattr(r, name)[i], getattr(p, name), 1e-10)
    _close("q", r.q[i], p.q, 1e-12 * float(np.sum(y * y / v)) + 1e-12)
    stat_atol = loc / p.se if p.se > 0 else 0.0
    _close("stat", r.stat[i], p.stat, stat_atol)


@st.composite
def batches(draw):
    n = draw(st.integers(1, 4))
    kmax = draw(st.integers(1, 9))
    floats_y = st.floats(-5, 5, allow_nan=False, allow_subnormal=False)
    floats_v = st.floats(1e-3, 5, allow_nan=False, allow_subnormal=False)
    y = np.array(draw(st.lists(floats_y, min_size=n * kmax, max_size=n * kmax))).reshape(n, kmax)
    v = np.array(draw(st.lists(floats_v, min_size=n * kmax, max_size=n * kmax))).reshape(n, kmax)
    mask = np.array(draw(st.lists(st.booleans(), min_size=n * kmax, max_size=n * kmax)))
    mask = mask.reshape(n, kmax)
    first = draw(st.lists(st.integers(0, kmax - 1), min_size=n, max_size=n))
    mask[np.arange(n), first] = True  # every row has a study
    return y, v, mask


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=batches(), method=st.sampled_from(METHODS), test=st.sampled_from(TESTS))
def test_every_row_equals_pool(data, method, test):
    y, v, mask = data
    r = pool_batch(y, v, method, test, mask=mask)
    assert r.converged.all()
    for i in range(y.shape[0]):
        assert_row_equals_pool(r, i, y[i][mask[i]], v[i][mask[i]])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("test", TESTS)
def test_random_ragged_rows_equal_pool(method, test):
    rng = np.random.default_rng(20261124)  # synthetic
    y = rng.normal(0.3, 0.5, (40, 7))
    v = rng.uniform(0.005, 0.4, (40, 7))
    mask = rng.random((40, 7)) < 0.75
    mask[:, 0] = True
    r = pool_batch(y, v, method, test, mask=mask)
    for i in range(40):
        assert_row_equals_pool(r, i, y[i][mask[i]], v[i][mask[i]])


@pytest.mark.parametrize("case", METAFOR, ids=lambda c: f"{c[0]}-{c[1]}")
def test_matches_metafor(case):
    method, test, est, se, tau2, i2, lb, ub = case
    r = pool_batch(np.array([SYN_Y, SYN_Y]), SYN_V, method, test)
    got = [r.estimate[1], r.se[1], r.tau2[1], r.i2_percent[1], r.tau2_ci_lb[1], r.tau2_ci_ub[1]]
    np.testing.assert_allclose(got, [est, se, tau2, i2, lb, ub], rtol=1e-9, atol=1e-12)


def test_dl_tau2_floored_at_zero_statsmodels_regression():
    # statsmodels' combine_effects gives tau2 = -0.049 and I2 = -492 here (STYLE.md).
    r = pool_batch([0.10, 0.11, 0.12], [0.04, 0.05, 0.06], "DL")
    assert r.tau2[0] == 0.0
    assert r.i2_percent[0] == 0.0
    assert r.h2[0] == 1.0


def test_single_study_and_two_study_rows():
    y = np.array([[0.4, np.nan, np.nan], [0.4, 0.1, np.nan], [0.4, 0.1, 0.3]])
    v = np.array([[0.04, 1.0, 1.0], [0.04, 0.02, 1.0], [0.04, 0.02, 0.03]])
    r = pool_batch(y, v, "REML", "z", mask=~np.isnan(y))
    assert r.k.tolist() == [1, 2, 3]
    assert r.estimate[0] == 0.4 and r.se[0] == pytest.approx(0.2)
    assert np.isnan(r.tau2[0]) and np.isnan(r.i2_percent[0]) and r.q_df[0] == 0
    assert np.isnan(r.pi_lb[1]) and np.isfinite(r.pi_lb[2])
    rk = pool_batch(y, v, "REML", "knha", mask=~np.isnan(y))
    assert np.isnan(rk.pval[0]) and rk.df[0] == 0.0 and rk.df[2] == 2.0


def test_extreme_heterogeneity_converges_and_matches_pool():
    # synthetic: effects spread over 1e4 with tiny variances (tau2 ~ 1e7, far above 100)
    rng = np.random.default_rng(7)
    y = rng.normal(0, 5e3, (6, 8))
    v = rng.uniform(1e-4, 1e-2, (6, 8))
    for method in ("REML", "ML", "PM", "EB"):
        r = pool_batch(y, v, method, "knha")
        assert r.converged.all() and (r.tau2 > 1e6).all()
        for i in range(6):
            assert_row_equals_pool(r, i, y[i], v[i])


def test_identical_effects_give_zero_knha_scale():
    r = pool_batch(np.full((2, 4), 0.3), [0.1, 0.2, 0.3, 0.4], "REML", "knha")
    assert (r.tau2 == 0).all() and (r.se == 0).all() and (r.ci_lb == r.ci_ub).all()


def test_row_dict_has_pooled_result_names():
    r = pool_batch(np.array([SYN_Y]), SYN_V, "DL")
    row = r.row(0)
    assert row["method"] == "DL" and row["k"] == 6 and isinstance(row["estimate"], float)
    assert len(r) == 1 and r.to_dict()["k"] == [6]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"yi": [[0.1, 0.2]], "vi": [[0.1, -1.0]]}, "vi[0, 1]"),
        ({"yi": [[0.1, np.inf]], "vi": [[0.1, 0.1]]}, "yi[0, 1]"),
        ({"yi": [[0.1, 0.2]], "vi": [0.1, 0.1, 0.1]}, "vi"),
        ({"yi": [[0.1, 0.2]], "vi": [0.1, 0.1], "mask": [[False, False]]}, "mask[0]"),
        ({"yi": [[0.1, 0.2]], "vi": [0.1, 0.1], "mask": [[1, 0]]}, "mask"),
        ({"yi": [[0.1, 0.2]], "vi": [0.1, 0.1], "method": "XX"}, "method"),
    ],
)
def test_invalid_input_names_argument(kwargs, argument):
    with pytest.raises(InputError) as err:
        pool_batch(**kwargs)
    assert err.value.argument == argument


def test_masked_cells_may_hold_nan():
    y = np.array([[0.1, np.nan, 0.3, 0.5]])
    v = np.array([[0.02, np.nan, 0.03, 0.05]])
    r = pool_batch(y, v, "PM", mask=~np.isnan(y))
    want = pool([0.1, 0.3, 0.5], [0.02, 0.03, 0.05], "PM")
    assert r.estimate[0] == pytest.approx(want.estimate, rel=1e-12)


# Synthetic row whose ML score has a narrow positive region (a second maximum,
# tau2 ~ 0.94) between two points of the 16-point grid scan, below the HE start
# (3.10) and above the root Newton finds first (0.13): pool()'s Fisher scoring,
# walking down from HE, stops at the upper maximum.
BUMP_Y = [
    -4.290167683892472, -2.410816551644503, 0.008354916364510377, 0.5256740216090634,
    -2.9368666961190586, -0.766747150048846, -0.3067693058977279, 4.672938292790204,
    -2.006030167113414, -0.44983339806409595, 0.35867346120278937, 0.5609849419942426,
]  # fmt: skip
BUMP_V = [
    3.050762841210712, 1.061586865861437, 0.01863091688972199, 3.1757603124008917,
    3.2254122276024733, 2.0092309446638903, 0.001546927435167142, 1.856896185164013,
    4.739463692381148, 0.0029766476797779625, 0.01930111111036037, 4.880638352499129,
]  # fmt: skip


@pytest.mark.parametrize("test", TESTS)
def test_narrow_second_maximum_between_grid_points(test):
    y, v = np.array(BUMP_Y), np.array(BUMP_V)
    r = pool_batch(np.vstack([y, y[::-1]]), np.vstack([v, v[::-1]]), "ML", test)
    assert r.tau2[0] == pytest.approx(0.9375850971130625, rel=1e-10)
    for i, (yy, vv) in enumerate([(y, v), (y[::-1], v[::-1])]):
        assert_row_equals_pool(r, i, yy, vv)


@pytest.mark.parametrize("method", ("REML", "ML", "PM", "DL"))
def test_bimodal_mixture_rows_equal_pool(method):
    # synthetic: half tiny, half large variances, so some likelihoods have two maxima
    rng = np.random.default_rng(4242)
    n, k = 300, 9
    small = rng.random((n, k)) < 0.5
    v = np.where(small, rng.uniform(1e-3, 0.02, (n, k)), rng.uniform(0.5, 5, (n, k)))
    y = rng.normal(0, 1, (n, k)) * np.sqrt(v + 0.1)
    y[:, :2] += rng.normal(0, 2, (n, 1))
    r = pool_batch(y, v, method, "knha")
    for i in range(n):
        assert_row_equals_pool(r, i, y[i], v[i])


def test_results_do_not_share_memory_between_calls():
    # the engine reuses per-thread scratch buffers: earlier results must stay intact
    rng = np.random.default_rng(11)
    y, v = rng.normal(0.3, 0.4, (500, 10)), rng.uniform(0.01, 0.2, (500, 10))
    first = pool_batch(y, v, "REML", "knha")
    kept = {k: np.copy(val) for k, val in first.to_dict().items() if isinstance(val, list)}
    pool_batch(y[::-1] * 3.0, v[::-1], "REML", "knha")
    pool_batch(y, v * 2.0, "DL")
    for name, val in kept.items():
        np.testing.assert_array_equal(np.asarray(first.to_dict()[name], dtype=float), val)


# SYNTHETIC rows (bench/engine.py two_maxima(100000), seed 4; k = 10) whose score is
# positive at the HE start and has several roots above it: pool()'s Fisher scoring stops
# at the lowest, the engine once returned a higher one. Row 5756: ML τ² 0.0235 (engine
# gave 0.751); row 77128: REML τ² 0.0118 (engine gave 0.519).
UP_Y = [
    -3.5656567059188786, -2.3686849260695233, -3.8382718844989077, -0.40098740915614034,
    -0.3307689305090517, -2.1312029612137264, -2.8204527928020946, -0.4110674105444978,
    -0.983248199523486, -0.5727424785950401,
]  # fmt: skip
UP_V = [
    4.041276273569042, 4.268051010164335, 1.3359270887835297, 3.7204389675579264,
    0.006037714575510409, 1.1786386516019547, 1.7635979005790232, 4.09712341348858,
    3.2911902133421216, 0.019973483867636088,
]  # fmt: skip
UP_REML_Y = [
    2.7652574783569, 2.1583690075628175, 0.6895033109893085, -0.06504791905005608,
    0.10668873298851908, -0.2574108402997832, 0.6634697272283285, -0.6075810484247254,
    1.0443481481180297, 1.4642997111609406,
]  # fmt: skip
UP_REML_V = [
    0.8232967445546214, 1.282405781438177, 0.7058120369698522, 0.012545900022559113,
    0.0020654207432317774, 1.5878350669312797, 4.4347709661394745, 4.878244363089177,
    1.8284117764435668, 2.926937431262867,
]  # fmt: skip


@pytest.mark.parametrize("method", ("ML", "REML"))
@pytest.mark.parametrize("row", ("ml5756", "reml77128"))
def test_lowest_root_above_positive_start_equals_pool(method, row):
    y, v = (UP_Y, UP_V) if row == "ml5756" else (UP_REML_Y, UP_REML_V)
    y, v = np.array(y), np.array(v)
    r = pool_batch(np.vstack([y, y[::-1]]), np.vstack([v, v[::-1]]), method)
    if (method, row) == ("ML", "ml5756"):
        assert r.tau2[0] == pytest.approx(0.02347318547944713, rel=1e-10)
    if (method, row) == ("REML", "reml77128"):
        assert r.tau2[0] == pytest.approx(0.011754144989076879, rel=1e-10)
    for i, (yy, vv) in enumerate([(y, v), (y[::-1], v[::-1])]):
        assert_row_equals_pool(r, i, yy, vv)


@pytest.mark.parametrize("method", ("DL", "REML", "PM", "FE"))
@pytest.mark.parametrize("tau2_ci", (True, False))
def test_one_fit_for_several_tests_equals_one_call_per_test(method, tau2_ci):
    # pool_batch_tests fits τ² once; each test's result must equal pool_batch exactly
    rng = np.random.default_rng(12)
    y, v = rng.normal(0.3, 0.4, (700, 6)), rng.uniform(0.01, 0.2, (700, 6))
    mask = rng.random((700, 6)) < 0.8
    both = pool_batch_tests(y, v, method, ("z", "knha"), 0.9, mask, tau2_ci=tau2_ci)
    for test in TESTS:
        one = pool_batch(y, v, method, test, 0.9, mask, tau2_ci=tau2_ci)
        for name, val in one.to_dict().items():
            assert both[test].to_dict()[name] == val, (test, name)
    both["z"].tau2[0] = -1.0  # the results do not share arrays
    assert both["knha"].tau2[0] != -1.0


def test_several_tests_checks_its_tests():
    with pytest.raises(InputError, match="tests"):
        pool_batch_tests([[0.1, 0.2]], [0.01, 0.02], "REML", ())
    with pytest.raises(InputError, match="tests"):
        pool_batch_tests([[0.1, 0.2]], [0.01, 0.02], "REML", ("z", "t"))

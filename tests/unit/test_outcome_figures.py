"""Tests of the figure layer: helpers, and every figure of a typed result drawn from its
JSON form (synthetic values)."""

from pathlib import Path

from _synthetic_review import review_config, synthetic_config, synthetic_rows

from trialmeta.plots.outcome import (
    FigureWording,
    derived_marks,
    draw_outcome_figures,
    figure_files,
    row_flags,
    split_marks,
)
from trialmeta.review.codec import from_data, to_data
from trialmeta.review.outcome import run_outcome
from trialmeta.review.results import OutcomeResult


def test_derived_and_split_marks_are_separate_meanings():
    # review F9: one footnote symbol meant both "derived" and "n split"; now two marks
    rec = {
        "derivation": "SYNA: sd from 95% CI (t, df=23); SYNB: sd reported; VAS 0-10 -> 0-100 x10",
        "arm_id_1": "SYNA",
        "arm_id_2": "SYNB",
        "multiarm": "split: SYNB n 10 split 2 ways",
    }
    marks = derived_marks(rec)
    assert marks == {"sd1": True, "m1": False, "sd2": False, "m2": False}
    assert split_marks(rec) == {"n1": False, "n2": True}
    assert not any(derived_marks({"derivation": "", "arm_id_1": "A", "arm_id_2": "B"}).values())
    med = derived_marks(
        {
            "derivation": "A: mean and sd from median and IQR (Wan 2014)",
            "arm_id_1": "A",
            "arm_id_2": "B",
        }
    )
    assert med["m1"] and med["sd1"] and not med["m2"]


def test_row_flags_read_inferred_scale_and_secondary_extraction():
    rec = {
        "derivation": "A: sd reported; B: sd reported; VAS 0-10 (inferred) -> 0-100 x10",
        "verification": "secondary_extraction",
    }
    assert row_flags(rec) == ("scale_inferred", "secondary_extraction")
    assert row_flags({"derivation": "VAS 0-100 (stated)", "verification": "primary_verbatim"}) == ()


def test_typed_booleans_of_the_effect_row_win_over_its_text():
    rec = {
        "derivation": "SYNA: sd reported; SYNB: sd reported",
        "arm_id_1": "SYNA",
        "arm_id_2": "SYNB",
        "multiarm": "",
        "sd1_derived": True,
        "m1_derived": False,
        "sd2_derived": "false",
        "m2_derived": False,
        "n1_split": False,
        "n2_split": "True",
        "flag_sd_floor": True,
        "flag_sd_ratio": False,
        "flag_identical_arms": "false",
        "flag_secondary_extraction": True,
        "scale_inferred": False,
        "arms_combined": True,
        "timepoint_fallback": False,
    }
    assert derived_marks(rec) == {"sd1": True, "m1": False, "sd2": False, "m2": False}
    assert split_marks(rec) == {"n1": False, "n2": True}
    assert row_flags(rec) == ("flag_sd_floor", "arms_combined", "secondary_extraction")


def test_rob_columns_read_self_reported_outcomes_and_shams_from_the_vocabulary():
    # RoB 2 D4 for a self-reported outcome (Handbook v6.5, 8.4): high when the comparison
    # tells participants their allocation (any control but the vocabulary's shams)
    from trialmeta.data.validate import read_vocabulary
    from trialmeta.plots.outcome import _rob_columns
    from trialmeta.report.labels import LabelMap

    items = ("eligibility_criteria", "random_allocation", "concealed_allocation",
             "baseline_comparability", "blind_subjects", "blind_therapists", "blind_assessors",
             "adequate_followup", "intention_to_treat", "between_group_comparisons",
             "point_estimates_variability")  # fmt: skip
    rob = [
        {"study_id": "SynPEDro", "tool": "PEDro", "domain": d, "judgement": "yes"} for d in items
    ]  # synthetic: every PEDro item met, participants blinded
    eff = [{"study_id": "SynPEDro", "outcome": "pain", "control_type": c}
           for c in ("sham", "usual_care")]  # fmt: skip
    vocab = read_vocabulary(Path(__file__).parents[2] / "data")
    d4 = [cells[3] for cells in _rob_columns(eff, rob, LabelMap(), vocab)["rob"]]
    assert d4 == ["low", "high"]
    assert [c[3] for c in _rob_columns(eff, rob, LabelMap(), None)["rob"]] == ["low", "low"]
    odd = {"outcome": "length_of_stay"}  # not a self-reported outcome of the vocabulary
    assert _rob_columns([{**eff[1], **odd}], rob, LabelMap(), vocab)["rob"][0][3] == "low"


def test_every_figure_of_a_result_read_back_from_json(tmp_path: Path):
    cfg = synthetic_config()
    cfg.update(intervention_label="Synthetic therapy")
    typed = review_config(cfg)
    res = run_outcome(synthetic_rows(k_sham=10), {"Synthetic01": "high"}, typed, "pain_eot")
    pngs = draw_outcome_figures(
        from_data(OutcomeResult, to_data(res)), tmp_path, FigureWording.of(typed)
    )
    names = {p.stem for p in pngs}
    assert {
        "forest__pain_eot__sham",
        "funnel__pain_eot__sham",
        "loo__pain_eot__sham",
        "baujat__pain_eot__sham",
        "tsa__pain_eot__sham",
        "gosh__pain_eot__sham",
        "forest__pain_eot__any",
    } <= names
    assert "funnel__pain_eot__active" not in names  # k = 1: a forest plot only
    svg = (tmp_path / "forest__pain_eot__sham.svg").read_text(encoding="utf-8")
    assert "Favours synthetic therapy" in svg and "Favours acupuncture" not in svg
    order = [p.stem.split("__")[0] for p in figure_files([tmp_path])["pain_eot__sham"]]
    assert order == ["forest", "funnel", "loo", "baujat", "tsa", "gosh"]


def test_config_figures_sets_formats_resolution_and_the_diagnostics_k(tmp_path: Path):
    # config figures: (SYNTHETIC result, k = 4 sham trials): SVG only at the default
    # diagnostics_min_k = 5 leaves the k = 4 analysis its forest and TSA plots; PNG at
    # 100 dpi with diagnostics from k = 3 draws its leave-one-out, Baujat and GOSH plots
    from PIL import Image

    from trialmeta.review.config import FiguresConfig

    typed = review_config(synthetic_config())
    res = run_outcome(synthetic_rows(k_sham=4), {}, typed, "pain_eot")
    svg_only = draw_outcome_figures(
        res, tmp_path / "a", FigureWording.of(typed), files=FiguresConfig(("svg",), 150, 5)
    )
    assert svg_only and {p.suffix for p in (tmp_path / "a").iterdir()} == {".svg", ".csv"}
    kinds = {p.stem.split("__")[0] for p in svg_only if p.stem.endswith("__sham")}
    assert "forest" in kinds and not kinds & {"loo", "baujat", "gosh"}
    assert set(figure_files([tmp_path / "a"])) >= {"pain_eot__sham"}
    pngs = draw_outcome_figures(
        res, tmp_path / "b", FigureWording.of(typed), files=FiguresConfig(("png",), 100, 3)
    )
    kinds = {p.stem.split("__")[0] for p in pngs if p.stem.endswith("__sham")}
    assert {"forest", "loo", "baujat", "gosh"} <= kinds
    forest = tmp_path / "b" / "forest__pain_eot__sham.png"
    with Image.open(forest) as img:  # the figure's inches x 100 dpi
        assert round(img.info["dpi"][0]) == 100

import pandas as pd
from salur.training.annotation import draw_stratified_sample


def _frame() -> pd.DataFrame:
    texts = ["pohon tumbang di jalan", "mohon info syarat ktp", "jalan rusak", "lampu mati"] * 5
    return pd.DataFrame({"uid": [f"s:{i}" for i in range(len(texts))], "text": texts})


def test_strata_draw_from_their_terms_and_never_repeat_rows():
    plan = {
        "seed": 1,
        "strata": {
            "possibly_darurat": {"size": 3, "terms": ["tumbang"]},
            "possibly_rendah": {"size": 3, "terms": ["info"]},
            "random": {"size": 6},
        },
    }
    sample = draw_stratified_sample(_frame(), plan, already_labelled=set())
    assert sample["uid"].is_unique
    assert len(sample) == 12
    darurat = sample[sample["stratum"] == "possibly_darurat"]
    assert darurat["text"].str.contains("tumbang").all() and len(darurat) == 3
    assert sample.loc[sample["stratum"] == "possibly_rendah", "text"].str.contains("info").all()


def test_already_labelled_rows_are_not_drawn_again():
    plan = {"seed": 1, "strata": {"random": {"size": 100}}}
    labelled = {f"s:{i}" for i in range(10)}
    sample = draw_stratified_sample(_frame(), plan, already_labelled=labelled)
    assert len(sample) == 10
    assert not set(sample["uid"]) & labelled


def test_ranked_strata_take_the_highest_scores_and_leave_them_to_later_strata():
    frame = _frame().assign(p_darurat=[i / 20 for i in range(20)])
    plan = {
        "seed": 1,
        "strata": {
            "model_darurat": {"size": 3, "rank_by": "p_darurat"},
            "possibly_darurat": {"size": 10, "terms": ["tumbang"]},
        },
    }
    sample = draw_stratified_sample(frame, plan, already_labelled={"s:19"})
    ranked = sample[sample["stratum"] == "model_darurat"]
    assert sorted(ranked["uid"]) == ["s:16", "s:17", "s:18"]
    termed = sample[sample["stratum"] == "possibly_darurat"]
    # s:16 mentions "tumbang" but was drawn by rank: no row is drawn twice.
    assert "s:16" not in set(termed["uid"]) and len(termed) == 4

import pandas as pd
import pytest
import yaml
from salur.model.classifier import Classifier
from salur.training.annotation import (
    DRAWN_COLUMNS,
    GOLD_COLUMNS,
    AnnotationError,
    draw_round,
    draw_stratified_sample,
    labelled_rows,
    load_plan,
    main,
    with_class_probabilities,
)


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


def _drawn() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uid": ["surabaya:1", "jateng:2", "bandung:3"],
            "source": ["surabaya", "jateng", "bandung"],
            "stratum": ["model_darurat", "random", "possibly_rendah"],
            "title": ["", "", "Lampu"],
            "text": ["pohon tumbang", "jalan rusak", "kapan lampu dipasang?"],
        }
    )


def _gold() -> pd.DataFrame:
    return pd.DataFrame(
        [["surabaya:9", "surabaya", "sedang", "pothole repair request", "a", "1", "random"]],
        columns=list(GOLD_COLUMNS),
    )


def test_a_readers_labels_become_gold_rows_with_their_source_and_stratum():
    labels = pd.DataFrame(
        {
            "uid": ["jateng:2", "surabaya:1"],
            "urgency": ["sedang", "darurat"],
            "reason": ["road damage repair", " fallen tree blocking road now "],
        }
    )
    rows = labelled_rows(_drawn(), labels, _gold(), "7", "reader-1")
    assert list(rows.columns) == list(GOLD_COLUMNS)
    assert rows.set_index("uid").loc["surabaya:1"].tolist() == [
        "surabaya",
        "darurat",
        "fallen tree blocking road now",
        "reader-1",
        "7",
        "model_darurat",
    ]


@pytest.mark.parametrize(
    ("uid", "urgency", "reason", "message"),
    [
        ("jateng:2", "urgent", "road damage", "not one of"),
        ("surabaya:4", "sedang", "road damage", "not in the drawn file"),
        ("surabaya:9", "sedang", "road damage", "already in the gold set"),
        ("jateng:2", "sedang", "", "without a reason"),
        ("jateng:2", "sedang", "caller 0812-3456-7890 says road broke", "name, number"),
    ],
)
def test_labels_that_cannot_be_gold_are_refused_with_the_row(uid, urgency, reason, message):
    labels = pd.DataFrame({"uid": [uid], "urgency": [urgency], "reason": [reason]})
    with pytest.raises(AnnotationError, match=message) as caught:
        labelled_rows(_drawn(), labels, _gold(), "7", "reader-1")
    assert uid in str(caught.value)


def test_a_uid_labelled_twice_and_a_missing_column_are_refused():
    twice = pd.DataFrame(
        {
            "uid": ["jateng:2", "jateng:2"],
            "urgency": ["sedang", "tinggi"],
            "reason": ["a b c d"] * 2,
        }
    )
    with pytest.raises(AnnotationError, match="labelled twice"):
        labelled_rows(_drawn(), twice, _gold(), "7", "reader-1")
    with pytest.raises(AnnotationError, match="reason"):
        labelled_rows(_drawn(), twice.drop(columns="reason"), _gold(), "7", "reader-1")


def test_ranked_plans_need_a_model_to_score_the_rows():
    plan = {"model": "test", "strata": {"model_darurat": {"size": 2, "rank_by": "p_darurat"}}}
    frame = _drawn()
    with pytest.raises(AnnotationError, match="--model"):
        draw_round(frame, plan, _gold())


def test_a_ranked_plan_is_drawn_only_with_the_model_it_names(fitted_small):
    plan = {"model": "salur-1", "strata": {"ranked": {"size": 1, "rank_by": "p_darurat"}}}
    classifier = Classifier(fitted_small, {"version": "salur-2"})
    with pytest.raises(AnnotationError, match="salur-1, not salur-2"):
        draw_round(_drawn(), plan, _gold(), classifier)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({}, "non-empty 'strata'"),
        ({"exclude_already_labelled": False, "strata": {"a": {"size": 2}}}, "not yet labelled"),
        ({"strata": {"a": {"size": -1}}}, "'size' of at least 1"),
        ({"strata": {"a": {"size": 2, "terms": [True]}}}, "'terms' must be a list"),
        ({"model": "m", "strata": {"a": {"size": 2, "rank_by": "text"}}}, "ranks by 'text'"),
        ({"strata": {"a": {"size": 2, "rank_by": "p_darurat"}}}, "names the model version"),
    ],
)
def test_plans_that_cannot_be_drawn_are_refused_before_scoring(tmp_path, plan, message):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    with pytest.raises(AnnotationError, match=message):
        load_plan(path)


def test_terms_match_whatever_their_case():
    plan = {"seed": 1, "strata": {"igd": {"size": 5, "terms": ["TUMBANG"]}}}
    sample = draw_stratified_sample(_frame(), plan, already_labelled=set())
    assert len(sample) == 5 and sample["text"].str.contains("tumbang").all()


def test_drawing_with_a_model_ranks_by_its_probabilities(fitted_small):
    classifier = Classifier(fitted_small, {"version": "test"})
    frame = _drawn()
    scored = with_class_probabilities(frame, classifier)
    p_columns = [c for c in scored.columns if c.startswith("p_")]
    assert p_columns and all(scored[c].between(0, 1).all() for c in p_columns)
    top = scored.sort_values(p_columns[0], ascending=False)["uid"].iloc[0]
    plan = {"seed": 1, "model": "test", "strata": {"ranked": {"size": 1, "rank_by": p_columns[0]}}}
    drawn = draw_round(frame, plan, _gold(), classifier)
    assert drawn["uid"].tolist() == [top] and list(drawn.columns) == list(DRAWN_COLUMNS)


def test_add_appends_to_the_gold_file_and_a_bad_file_leaves_it_as_it_was(tmp_path, capsys):
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    gold_path = annotations / "urgency_gold.csv"
    _gold().to_csv(gold_path, index=False)
    drawn_path = tmp_path / "drawn.csv"
    _drawn().to_csv(drawn_path, index=False)
    bad = tmp_path / "bad.csv"
    bad.write_text("uid,urgency,reason\njateng:2,urgent,road damage\n", encoding="utf-8")
    before = gold_path.read_bytes()
    args = ["--data-dir", str(tmp_path), "add", "--drawn", str(drawn_path), "--round", "7"]
    assert main([*args, "--labels", str(bad), "--annotator", "r"]) == 1
    assert "urgent" in capsys.readouterr().err
    assert gold_path.read_bytes() == before
    good = tmp_path / "good.csv"
    good.write_text('uid,urgency,reason\njateng:2,sedang,"road damage, repair"\n', encoding="utf-8")
    assert main([*args, "--labels", str(good), "--annotator", "r"]) == 0
    gold = pd.read_csv(gold_path, dtype=str, keep_default_na=False)
    assert gold["uid"].tolist() == ["surabaya:9", "jateng:2"]
    assert gold.iloc[1]["reason"] == "road damage, repair"


def test_unreadable_labels_files_are_refused_and_the_gold_file_keeps_its_mode(tmp_path, capsys):
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    gold_path = annotations / "urgency_gold.csv"
    _gold().to_csv(gold_path, index=False)
    gold_path.chmod(0o644)
    drawn_path = tmp_path / "drawn.csv"
    _drawn().to_csv(drawn_path, index=False)
    args = ["--data-dir", str(tmp_path), "add", "--drawn", str(drawn_path), "--round", "7"]
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = tmp_path / "header.csv"
    header_only.write_text("uid,urgency,reason\n", encoding="utf-8")
    shifted = tmp_path / "shifted.csv"
    shifted.write_text(
        "uid,urgency,reason\njateng:2,sedang,road damage, repair\n", encoding="utf-8"
    )
    for path, message in [(empty, "empty"), (header_only, "no rows"), (shifted, "more fields")]:
        assert main([*args, "--labels", str(path), "--annotator", "r"]) == 1
        assert message in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_text("\ufeffuid,urgency,reason\njateng:2,sedang,road damage\n", encoding="utf-8")
    assert main([*args, "--labels", str(good), "--annotator", "r"]) == 0
    assert gold_path.stat().st_mode & 0o777 == 0o644
    assert len(pd.read_csv(gold_path)) == 2

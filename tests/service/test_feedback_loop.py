"""From admin corrections to a training dataset, and model promotion rules."""

import csv
import shutil
from datetime import UTC

import pandas as pd
import pytest
from salur.model.artifact import model_digest, read_metadata, save_model
from salur.service.review import EXPORT_COLUMNS, export_corrections
from salur.service.storage import ACCEPTED, CORRECTED, NOT_AUTHORITY, QueueFilter, Store
from salur.training.dataset import load_corrections

from tests.service.test_storage import record
from tests.training.test_batch import run_cli


def three_queued(tmp_path):
    """A queue database holding three pending complaints, and those three."""
    store = Store(f"sqlite:///{tmp_path}/q.db")
    store.ensure_schema()
    store.save_complaints([record(1), record(2), record(3)])
    return store, store.queue(QueueFilter())


@pytest.fixture
def reviewed_store(tmp_path):
    store, (a, b, c) = three_queued(tmp_path)
    store.review(a.id, "admin", ACCEPTED)
    store.review(b.id, "admin", CORRECTED, {"agency": "perhubungan"})
    store.review(c.id, "admin", NOT_AUTHORITY)
    return store


def test_export_has_training_shape_and_reloads(reviewed_store, tmp_path):
    out = tmp_path / "corrections" / "c.csv"
    assert export_corrections(reviewed_store, out) == 2
    assert out.stat().st_mode & 0o777 == 0o600  # complaint texts: private to the owner
    out.chmod(0o640)
    export_corrections(reviewed_store, out)
    assert out.stat().st_mode & 0o777 == 0o640  # a mode the owner chose is kept
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == EXPORT_COLUMNS
    assert sorted(frame["agency"]) == ["perhubungan", "pupr"]
    assert frame["uid"].str.startswith("corrections:").all()
    loaded = load_corrections(out.parent)
    assert len(loaded) == 2 and "document" in loaded


def test_only_labels_a_reviewer_decided_are_exported(tmp_path):
    store, (accepted, urgency_changed, agency_changed) = three_queued(tmp_path)
    store.review(accepted.id, "admin", ACCEPTED)
    store.review(urgency_changed.id, "admin", CORRECTED, {"urgency": "darurat"})
    store.review(agency_changed.id, "admin", CORRECTED, {"agency": "perhubungan"})
    out = tmp_path / "c.csv"
    export_corrections(store, out)
    rows = {row["source_id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    first, second, third = (rows[r.request_id] for r in (accepted, urgency_changed, agency_changed))
    # Routing heads are what a review decides: accepted means confirmed.
    assert (first["agency"], first["category"]) == ("pupr", "jalan_jembatan")
    # The model's own urgency and report type, left untouched, are not labels.
    assert first["urgency"] == first["report_type"] == ""
    assert second["urgency"] == "darurat" and second["report_type"] == ""
    assert third["agency"] == "perhubungan" and third["urgency"] == ""
    # A desk whose admins review every head can say so.
    export_corrections(store, out, all_heads=True)
    everything = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {row["urgency"] for row in everything} == {"sedang", "darurat"}
    assert {row["report_type"] for row in everything} == {"pengaduan_berkadar_pengawasan"}


def test_export_failure_leaves_nothing_half_written(reviewed_store, tmp_path, monkeypatch):
    out = tmp_path / "c.csv"

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(csv.DictWriter, "writerows", disk_full)
    with pytest.raises(OSError):
        export_corrections(reviewed_store, out)
    assert list(tmp_path.glob("*c.csv*")) == []


def test_export_cli(reviewed_store, tmp_path):
    out = tmp_path / "export.csv"
    result = run_cli(
        "export-corrections", "--output", str(out), "--database-url", reviewed_store.url
    )
    assert result.returncode == 0, result.stderr
    assert "exported 2" in result.stderr and len(pd.read_csv(out)) == 2
    bad = run_cli(
        "export-corrections",
        "--output",
        "/proc/forbidden/x.csv",
        "--database-url",
        reviewed_store.url,
    )
    assert bad.returncode != 0 and "cannot write" in bad.stderr and "Traceback" not in bad.stderr


def test_export_by_submission_date_in_the_desks_time_zone(tmp_path):
    from datetime import datetime, timedelta, timezone

    wib = timezone(timedelta(hours=7))
    store = Store(f"sqlite:///{tmp_path}/q.db")
    store.ensure_schema()
    times = [
        datetime(2026, 10, 31, 23, 0, tzinfo=wib),  # 16:00 UTC, still 31 October at the desk
        datetime(2026, 11, 1, 0, 30, tzinfo=wib),  # 31 October in UTC, 1 November at the desk
        datetime(2026, 11, 15, 9, 0, tzinfo=wib),
    ]
    store.save_complaints([record(n, created=at.astimezone(UTC)) for n, at in enumerate(times)])
    for item in store.queue(QueueFilter()):
        store.review(item.id, "admin", ACCEPTED)

    def exported(*options):
        out = tmp_path / "export.csv"
        result = run_cli(
            "export-corrections",
            "--output",
            str(out),
            "--database-url",
            store.url,
            *options,
            env={"SALUR_TIMEZONE": "Asia/Jakarta"},
        )
        assert result.returncode == 0, result.stderr
        return len(pd.read_csv(out))

    assert exported("--before", "2026-11-01") == 1
    assert exported("--since", "2026-11-01") == 2
    assert exported("--since", "2026-11-01", "--before", "2026-11-02") == 1
    bad = run_cli("export-corrections", "--database-url", store.url, "--since", "1/11/2026")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    empty = run_cli(
        "export-corrections",
        "--database-url",
        store.url,
        "--since",
        "2026-11-02",
        "--before",
        "2026-11-01",
    )
    assert empty.returncode == 2 and "is not before" in empty.stderr


def test_promotion_refuses_a_worse_model(fitted_small, small_frame, small_params, tmp_path):
    from salur.training.promotion import PromotionRefused, promote_model
    from salur.training.train import TrainConfig, fit_pipeline, trainable_heads

    models = tmp_path / "models"
    models.mkdir()
    good = save_model(fitted_small, {"version": "good", "thresholds": {}}, "", models / "good")
    # A model that learned from shuffled agencies is worse on agency macro-F1.
    shuffled = small_frame.copy()
    shuffled["agency"] = shuffled["agency"].sample(frac=1.0, random_state=0).to_numpy()
    bad_pipeline = fit_pipeline(shuffled, small_params, trainable_heads(shuffled, small_params))
    bad = save_model(bad_pipeline, {"version": "bad", "thresholds": {}}, "", models / "bad")
    data = tmp_path / "data"
    config = TrainConfig(data_dir=_small_dataset(small_frame, data), models_dir=models)
    with pytest.raises(PromotionRefused, match="worse on agency macro-F1"):
        promote_model(bad, good, config, models_root=models)
    assert not (models / "PROMOTED").exists()
    message = promote_model(bad, good, config, force=True, models_root=models)
    assert "promoted bad" in message and (models / "PROMOTED").read_text().strip() == "bad"
    promote_model(good, bad, config, models_root=models)
    assert (models / "PROMOTED").read_text().strip() == "good"
    assert (models / "PROMOTED").stat().st_mode & 0o777 == 0o644
    assert read_metadata(models / "good")["version"] == "good"
    # A version refitted on all rows has seen the test split: the check would
    # not be on unseen rows, so it is refused unless a held-out file is given.
    refit = save_model(
        fitted_small,
        {"version": "refit", "thresholds": {}, "trained_on": "all"},
        "",
        models / "refit",
    )
    with pytest.raises(PromotionRefused, match="not on unseen rows"):
        promote_model(refit, good, config, models_root=models)
    assert (models / "PROMOTED").read_text().strip() == "good"


def test_corrections_must_exist_and_carry_taxonomy_codes(tmp_path):
    from salur.training.dataset import CorrectionsError, load_corrections

    folder = tmp_path / "corrections"
    with pytest.raises(CorrectionsError, match="no corrections in"):
        load_corrections(folder)
    folder.mkdir()
    (folder / "a.csv").write_text(
        "source,region,title,text,agency,category,urgency,report_type\n"
        "corrections,kab-sleman,,jalan rusak,pupr,jalan_jembatan,,\n"
        "corrections,kab-sleman,,lampu mati,dinas_palsu,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(
        CorrectionsError,
        match=r"agency label\(s\) are not taxonomy codes, e.g. 'dinas_palsu' in row 3",
    ):
        load_corrections(folder)
    (folder / "a.csv").write_text("", encoding="utf-8")
    with pytest.raises(CorrectionsError, match="not a readable CSV"):
        load_corrections(folder)


def _small_dataset(frame, root):
    """A datasets/ folder whose test split holds the small frame's Surabaya rows."""
    import shutil

    from tests.conftest import DATASETS

    shutil.copytree(DATASETS / "mappings", root / "mappings")
    (root / "annotations").mkdir(parents=True)
    shutil.copy(DATASETS / "annotations" / "urgency_gold.csv", root / "annotations")
    (root / "raw").mkdir()
    for name in ("surabaya_mediacenter_2023.csv", "kab_bandung_sp4n_2021_2023.csv"):
        shutil.copy(DATASETS / "raw" / name, root / "raw")
    for name in ("jateng_laporgub_2024_2025_tokens.csv", "purbalingga_matur_bupati.csv"):
        header = (DATASETS / "raw" / name).read_text(encoding="utf-8").splitlines()[0]
        (root / "raw" / name).write_text(header + "\n", encoding="utf-8")
    return root


def test_corrections_join_training_data_and_win_over_old_labels(
    reviewed_store, tmp_path, small_frame
):
    from salur.training.train import merge_corrections

    out = tmp_path / "corrections" / "c.csv"
    export_corrections(reviewed_store, out)
    corrections = load_corrections(out.parent)
    # the same text as an existing training row, labelled differently by an admin
    duplicate = small_frame.iloc[[0]].copy()
    corrections.loc[len(corrections)] = {
        **{c: "" for c in corrections.columns},
        "uid": "corrections:dup",
        "source": "corrections",
        "title": duplicate["title"].iloc[0],
        "text": duplicate["text"].iloc[0],
        "document": duplicate["document"].iloc[0],
        "agency": "satpol_pp",
    }
    merged = merge_corrections(small_frame, corrections)
    assert len(merged) == len(small_frame) + 2
    row = merged[merged["text"] == duplicate["text"].iloc[0]]
    assert len(row) == 1 and row["agency"].iloc[0] == "satpol_pp"
    assert merge_corrections(small_frame, pd.DataFrame()) is small_frame


def test_compare_on_a_held_out_file(fitted_small, small_frame, small_params, tmp_path):
    from salur.training.promotion import compare_models, format_comparison
    from salur.training.train import TrainConfig

    models = tmp_path / "models"
    models.mkdir()
    a = save_model(
        fitted_small, {"version": "a", "thresholds": {}, "trained_on": "all"}, "", models / "a"
    )
    held_out = tmp_path / "held_out.csv"
    small_frame[["title", "text", "agency", "category"]].head(60).to_csv(held_out, index=False)
    config = TrainConfig(data_dir=tmp_path / "unused", models_dir=models)
    comparison = compare_models(a, a, config, held_out)
    assert comparison["warnings"] == []
    agency = comparison["per_head"]["agency"]
    assert agency["old_macro_f1"] == agency["new_macro_f1"] and agency["old_accuracy"] > 0.5
    assert (
        comparison["per_head"]["urgency"]["old_macro_f1"] is None
    )  # no urgency column: not measured
    assert "agency" in format_comparison(comparison)


def test_a_new_regions_corrections_give_it_thresholds_of_its_own(tmp_path, small_frame):
    """The way out of review-only: reviewed complaints of a new region, exported and merged."""
    from dataclasses import replace

    from salur.model.routing import thresholds_for_region, why_agency_routes_nothing
    from salur.training.train import TrainConfig, choose_region_thresholds, merge_corrections

    store = Store(f"sqlite:///{tmp_path}/q.db")
    store.ensure_schema()
    store.save_complaints([record(n, region="kab-baru") for n in range(80)])
    pending = store.queue(QueueFilter(), limit=100)
    out = tmp_path / "corrections" / "c.csv"
    config = replace(
        TrainConfig(data_dir=tmp_path, models_dir=tmp_path), target_precision={"agency": 0.95}
    )

    def measured_after_reviewing(start, stop):
        for item in pending[start:stop]:
            store.review(item.id, "admin", ACCEPTED)
        export_corrections(store, out)
        merged = merge_corrections(small_frame, load_corrections(out.parent))
        # Predictions that agree with every label, at high confidence: what is
        # tested is how many of the region's rows back its threshold.
        predicted = pd.DataFrame(
            {"agency_pred": merged["agency"], "agency_confidence": 0.99}, index=merged.index
        )
        return choose_region_thresholds(merged, predicted, config, ("agency",))

    few = measured_after_reviewing(0, 10)
    assert "kab-baru" in few and few["kab-baru"]["agency"] == 1.0
    assert "no agency threshold reached" in why_agency_routes_nothing("kab-baru", few)
    enough = measured_after_reviewing(10, 80)
    assert enough["kab-baru"]["agency"] < 1.0
    assert why_agency_routes_nothing("kab-baru", enough) is None
    assert thresholds_for_region("kab-baru", {"agency": 0.9}, enough)["agency"] < 1.0


def test_corrections_with_unknown_or_missing_columns_say_what_is_wrong(tmp_path):
    from salur.training.dataset import CorrectionsError, load_corrections

    folder = tmp_path / "corrections"
    folder.mkdir()
    path = folder / "a.csv"
    path.write_text("source,region,text,agensy\ncorrections,kab-sleman,jalan rusak,pupr\n")
    with pytest.raises(CorrectionsError, match=r"'agensy' \(did you mean 'agency'\?\)"):
        load_corrections(folder)
    path.write_text("source;region;text;agency\ncorrections;kab-sleman;jalan rusak;pupr\n")
    with pytest.raises(CorrectionsError, match="separated by commas"):
        load_corrections(folder)
    path.write_text(",".join(EXPORT_COLUMNS) + "\n")
    with pytest.raises(CorrectionsError, match="no reviewed rows"):
        load_corrections(folder)


def test_export_columns_are_the_columns_training_reads():
    from salur.training.dataset import CORRECTION_COLUMNS

    assert list(CORRECTION_COLUMNS) == EXPORT_COLUMNS


def test_held_out_rows_a_version_trained_on_are_left_out(fitted_small, small_frame, tmp_path):
    from salur.training.dataset import DataError, load_corrections_file, row_digests
    from salur.training.promotion import compare_models
    from salur.training.train import TrainConfig, evaluate_saved

    held_out = tmp_path / "held_out.csv"
    small_frame[["region", "title", "text", "agency", "category"]].head(60).to_csv(
        held_out, index=False
    )
    taught = set(row_digests(load_corrections_file(held_out).head(20)))
    models = tmp_path / "models"
    models.mkdir()
    old = save_model(fitted_small, {"version": "old", "thresholds": {}}, "", models / "old")
    new = save_model(
        fitted_small,
        {"version": "new", "thresholds": {}, "corrections": {"row_digests": sorted(taught)}},
        "",
        models / "new",
    )
    config = TrainConfig(data_dir=tmp_path / "unused", models_dir=models)
    result = evaluate_saved(new, config, held_out)
    assert result["held_out_rows_seen_in_training"] == 20
    assert result["test_split"]["agency"]["support"] == 40
    # The old version never saw them, but a fair comparison measures both on the same rows.
    comparison = compare_models(old, new, config, held_out)
    # Said, but no reason to refuse a promotion: what is compared is unseen by both.
    assert any("20 row(s)" in note for note in comparison["notes"])
    assert comparison["warnings"] == []
    assert (
        evaluate_saved(old, config, held_out, exclude=taught)["test_split"]["agency"]["support"]
        == 40
    )
    everything = set(row_digests(load_corrections_file(held_out)))
    with pytest.raises(DataError, match="every row was in the training data"):
        evaluate_saved(old, config, held_out, exclude=everything)


def test_export_refuses_a_sqlite_database_that_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere.db"
    result = run_cli(
        "export-corrections",
        "--output",
        str(tmp_path / "c.csv"),
        "--database-url",
        f"sqlite:///{missing}",
    )
    assert result.returncode != 0 and "no review database" in result.stderr
    assert not missing.exists() and "Traceback" not in result.stderr


def test_promote_and_serve_from_a_models_root_of_the_deployment(
    fitted_small, small_frame, small_params, tmp_path, monkeypatch
):
    from salur.service.settings import Settings
    from salur.training.train import fit_pipeline, trainable_heads

    root = tmp_path / "srv-models"
    root.mkdir()
    save_model(fitted_small, {"version": "v1", "thresholds": {}}, "", root / "v1")
    shuffled = small_frame.copy()
    shuffled["agency"] = shuffled["agency"].sample(frac=1.0, random_state=0).to_numpy()
    worse = fit_pipeline(shuffled, small_params, trainable_heads(shuffled, small_params))
    save_model(worse, {"version": "v2", "thresholds": {}}, "", root / "v2")
    data = _small_dataset(small_frame, tmp_path / "data")
    config = tmp_path / "train.yaml"
    config.write_text(f"data_dir: {data}\nmodels_dir: {root}\n", encoding="utf-8")

    def promote(*args, **env):
        return run_cli("promote", *args, "--config", str(config), env=env)

    # Outside the package's models/ and no root named: refused, saying what to give.
    refused = promote(str(root / "v1"))
    assert refused.returncode != 0 and "--models-root" in refused.stderr
    assert "Traceback" not in refused.stderr
    # A version the service would refuse to load is refused before PROMOTED names it.
    shutil.copytree(root / "v1", root / "v1-altered")
    with (root / "v1-altered" / "pipeline.joblib").open("ab") as handle:
        handle.write(b"\0")
    altered = promote(str(root / "v1-altered"), "--models-root", str(root))
    assert altered.returncode != 0 and "does not match" in altered.stderr
    assert not (root / "PROMOTED").exists()
    # A pin of another version would stop the service's next start: refused,
    # with the value that would let this one load.
    pinned = promote(str(root / "v1"), "--models-root", str(root), SALUR_MODEL_SHA256="0" * 64)
    assert pinned.returncode != 0 and model_digest(root / "v1") in pinned.stderr
    assert not (root / "PROMOTED").exists()
    # The root's first promotion has nothing served to compare with.
    first = promote(
        str(root / "v1"), "--models-root", str(root), SALUR_MODEL_SHA256=model_digest(root / "v1")
    )
    assert first.returncode == 0, first.stderr
    assert "no model to compare with" in first.stdout
    assert (root / "PROMOTED").read_text().strip() == "v1"
    # The service's own setting names the same root, and the promoted check still holds.
    held = promote(str(root / "v2"), SALUR_MODELS_ROOT=str(root))
    assert held.returncode != 0 and "worse on agency macro-F1" in held.stderr
    monkeypatch.setenv("SALUR_MODELS_ROOT", str(root))
    assert Settings().model_dir == root / "v1"
    monkeypatch.setenv("SALUR_MODEL_DIR", str(root / "v2"))
    assert Settings().model_dir == root / "v2"


def test_export_lands_where_training_reads_and_the_card_names_that_folder(tmp_path):
    from salur.training.card import model_card

    from salur.cli import default_corrections_path
    from tests.conftest import DATASETS

    assert default_corrections_path() == DATASETS.resolve() / "corrections" / "corrections.csv"
    meta = read_metadata(DATASETS.parent / "models" / "default")
    meta["corrections"] = {"folder": "/srv/desk/data/corrections", "files": ["a.csv"], "rows": 3}
    assert "`/srv/desk/data/corrections` (a.csv)" in model_card(meta)

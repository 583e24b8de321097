from pathlib import Path

import pandas as pd
from salur.model.taxonomy import load_taxonomy
from salur.training.labels import (
    apply_mappings,
    load_manifest,
    unmapped_raw_labels,
    validate_mappings,
)
from salur.training.sources import load_all

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def test_every_mapped_code_is_in_the_taxonomy():
    assert validate_mappings(DATASETS / "mappings", load_taxonomy()) == []


def test_every_raw_label_in_the_data_has_a_reviewed_mapping():
    frame = load_all(DATASETS / "raw")
    assert unmapped_raw_labels(frame, DATASETS / "mappings") == {}


def test_manifest_files_exist():
    for rule in load_manifest(DATASETS / "mappings"):
        assert (DATASETS / "mappings" / rule.file).is_file(), rule.file


def test_pdam_topic_overrides_the_secretariat_agency():
    frame = pd.DataFrame(
        {
            "source": ["surabaya", "surabaya"],
            "raw_agency": ["Bagian Perekonomian dan Sumber Daya Alam"] * 2,
            "raw_topic": ["Pelayanan PDAM", "Utilitas"],
            "raw_category": ["", ""],
            "raw_report_type": ["", ""],
        }
    )
    labelled = apply_mappings(frame, DATASETS / "mappings")
    assert labelled["agency"].tolist() == ["pdam", "sekretariat_daerah"]


def test_uninformative_labels_map_to_nothing():
    frame = pd.DataFrame(
        {
            "source": ["bandung"],
            "raw_agency": ["Tidak Diketahui"],
            "raw_topic": [""],
            "raw_category": ["Topik Lainnya"],
            "raw_report_type": ["Aspirasi"],
        }
    )
    labelled = apply_mappings(frame, DATASETS / "mappings")
    assert labelled.loc[0, "agency"] == "" and labelled.loc[0, "category"] == ""
    assert labelled.loc[0, "report_type"] == "aspirasi"


def test_urgency_gold_is_complete_and_valid():
    gold = pd.read_csv(
        DATASETS / "annotations" / "urgency_gold.csv", dtype=str, keep_default_na=False
    )
    assert len(gold) >= 800
    assert set(gold["urgency"]) == set(load_taxonomy().urgency)
    assert gold["uid"].is_unique
    assert (gold["reason"].str.len() > 3).all()
    assert set(gold["source"]) == {"surabaya", "bandung", "jateng", "purbalingga"}
    uids = set(load_all(DATASETS / "raw")["uid"])
    assert set(gold["uid"]) <= uids


def test_catch_all_kewilayahan_topic_takes_away_agency_and_category():
    frame = pd.DataFrame(
        {
            "source": ["surabaya", "surabaya"],
            "raw_agency": ["Kelurahan Ploso", "Kelurahan Ploso"],
            "raw_topic": ["Permasalahan Kewilayahan Kelurahan", "Perangkat RT/RW"],
            "raw_category": ["", ""],
            "raw_report_type": ["", ""],
        }
    )
    labelled = apply_mappings(frame, DATASETS / "mappings")
    assert labelled["agency"].tolist() == ["", "kewilayahan"]
    assert labelled["category"].tolist() == ["", "kewilayahan"]

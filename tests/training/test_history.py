import pandas as pd
import pytest
from salur.model.regions import load_regions
from salur.model.taxonomy import load_taxonomy
from salur.training.batch import InputError
from salur.training.dataset import load_corrections
from salur.training.history import UnmappedNames, import_history

from tests.training.test_batch import run_cli

HISTORY = pd.DataFrame(
    {
        "judul": ["Jalan rusak", "Sampah", "KTP", "Lampu"],
        "isi": [
            "jalan berlubang di depan sekolah sudah dua minggu",
            "sampah menumpuk di pinggir sungai tidak diangkut",
            "ktp elektronik belum jadi padahal sudah tiga bulan",
            "lampu jalan mati di gang tiga",
        ],
        # The region file's own name in another case, and names it does not have.
        "opd": [
            "Dinas Sumber Daya Air dan Bina Marga",
            "DINAS LINGKUNGAN HIDUP",
            "Dispendukcapil Kota",
            "Tidak Diketahui",
        ],
    }
)


@pytest.fixture
def surabaya():
    taxonomy = load_taxonomy()
    from salur.service.settings import DEFAULT_REGIONS_DIR

    return load_regions(DEFAULT_REGIONS_DIR, taxonomy)["kota-surabaya"], taxonomy


def test_unmapped_names_stop_the_import_with_a_draft_to_review(surabaya, tmp_path):
    region, taxonomy = surabaya
    source = tmp_path / "history.csv"
    HISTORY.to_csv(source, index=False)
    out = tmp_path / "corrections" / "history.csv"
    with pytest.raises(UnmappedNames, match="2 raw value"):
        import_history(source, out, region, taxonomy, {"agency": "opd"}, "isi", "judul")
    assert not out.exists()
    draft = pd.read_csv(tmp_path / "history.mapping-draft.csv", dtype=str, keep_default_na=False)
    suggested = dict(zip(draft["raw_name"], draft["code"], strict=True))
    assert suggested == {"Dispendukcapil Kota": "dukcapil", "Tidak Diketahui": ""}

    # Reviewed (here as suggested), the draft is the mapping.
    result = import_history(
        source,
        out,
        region,
        taxonomy,
        {"agency": "opd"},
        "isi",
        "judul",
        mapping_path=tmp_path / "history.mapping-draft.csv",
    )
    # The label that says nothing leaves its row out: it teaches no head.
    assert (result.rows, result.labelled, result.unlabelled) == (3, {"agency": 3}, {"agency": 1})
    assert out.stat().st_mode & 0o777 == 0o600  # unmasked complaint texts
    rows = load_corrections(out.parent)
    assert list(rows["agency"]) == ["pupr", "lingkungan_hidup", "dukcapil"]
    assert set(rows["region"]) == {"kota-surabaya"} and rows["document"].str.len().gt(0).all()


def test_a_mapping_with_a_code_outside_the_taxonomy_is_refused(surabaya, tmp_path):
    region, taxonomy = surabaya
    source = tmp_path / "history.csv"
    HISTORY.to_csv(source, index=False)
    mapping = tmp_path / "map.csv"
    mapping.write_text("head,raw_name,code\nagency,Dispendukcapil Kota,capil\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2: 'capil' is not a taxonomy agency code"):
        import_history(
            source, tmp_path / "o.csv", region, taxonomy, {"agency": "opd"}, "isi", "judul", mapping
        )


def test_import_history_cli(tmp_path):
    source = tmp_path / "history.csv"
    HISTORY.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    common = ["--input", str(source), "--text-column", "isi", "--output", str(out)]
    nothing = run_cli("import-history", *common, "--region", "kota-surabaya")
    assert nothing.returncode == 2 and "--agency-column" in nothing.stderr
    nowhere = run_cli("import-history", *common, "--region", "atlantis", "--agency-column", "opd")
    assert nowhere.returncode == 2 and "unknown region 'atlantis'" in nowhere.stderr
    draft = run_cli(
        "import-history", *common, "--region", "kota-surabaya", "--agency-column", "opd"
    )
    assert draft.returncode == 2 and "mapping-draft.csv" in draft.stderr
    assert "Traceback" not in draft.stderr and not out.exists()
    done = run_cli(
        "import-history",
        *common,
        "--region",
        "kota-surabaya",
        "--agency-column",
        "opd",
        "--mapping",
        str(tmp_path / "history.mapping-draft.csv"),
    )
    assert done.returncode == 0, done.stderr
    assert "wrote 3 rows of kota-surabaya" in done.stderr

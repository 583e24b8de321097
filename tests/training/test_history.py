import pandas as pd
import pytest
from salur.model.regions import Region, load_regions
from salur.model.taxonomy import load_taxonomy
from salur.training.batch import InputError
from salur.training.dataset import load_corrections
from salur.training.history import UnmappedNames, import_history
from salur.training.train import merge_corrections

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
    from salur.service.settings import DEFAULT_REGIONS_DIR

    taxonomy = load_taxonomy()
    return load_regions(DEFAULT_REGIONS_DIR, taxonomy)["kota-surabaya"], taxonomy


def _import(source, out, region, taxonomy, mapping=None, frame=HISTORY):
    frame.to_csv(source, index=False)
    return import_history(
        source, out, region, taxonomy, {"agency": "opd"}, "isi", "judul", mapping_path=mapping
    )


def test_names_need_a_reviewed_code_before_anything_is_written(surabaya, tmp_path):
    region, taxonomy = surabaya
    source, out = tmp_path / "history.csv", tmp_path / "corrections" / "history.csv"
    draft = tmp_path / "history.mapping-draft.csv"
    with pytest.raises(UnmappedNames, match="2 raw value"):
        _import(source, out, region, taxonomy)
    assert not out.exists()
    table = pd.read_csv(draft, dtype=str, keep_default_na=False)
    # A guess is a suggestion, never a code: passed back unread, it still stops.
    assert dict(zip(table["raw_name"], table["suggested"], strict=True)) == {
        "Dispendukcapil Kota": "dukcapil",
        "Tidak Diketahui": "",
    }
    assert set(table["code"]) == {""}
    with pytest.raises(UnmappedNames):
        _import(source, out, region, taxonomy, mapping=draft)

    table["code"] = ["dukcapil", "-"]  # reviewed: "-" says the name means nothing
    table.to_csv(draft, index=False)
    result = _import(source, out, region, taxonomy, mapping=draft)
    # The row whose office says nothing teaches no head and is left out.
    assert (result.rows, result.labelled) == (3, {"agency": 3})
    assert out.stat().st_mode & 0o777 == 0o600  # unmasked complaint texts
    rows = load_corrections(out.parent)
    assert list(rows["agency"]) == ["pupr", "lingkungan_hidup", "dukcapil"]
    assert set(rows["region"]) == {"kota-surabaya"} and rows["uid"].is_unique


def test_a_new_name_keeps_the_reviewed_rows_of_the_mapping(surabaya, tmp_path):
    region, taxonomy = surabaya
    mapping = tmp_path / "surabaya-opd.csv"
    mapping.write_text(
        "head,raw_name,code\nagency,Dispendukcapil Kota,dukcapil\nagency,Tidak Diketahui,-\n",
        encoding="utf-8",
    )
    later = pd.concat(
        [
            HISTORY,
            pd.DataFrame(
                {"judul": ["Banjir"], "isi": ["banjir setinggi lutut"], "opd": ["DSDABM"]}
            ),
        ]
    )
    with pytest.raises(UnmappedNames, match="1 raw value"):
        _import(tmp_path / "h.csv", tmp_path / "o.csv", region, taxonomy, mapping, frame=later)
    table = pd.read_csv(mapping, dtype=str, keep_default_na=False)
    assert list(zip(table["raw_name"], table["code"], strict=True)) == [
        ("Dispendukcapil Kota", "dukcapil"),
        ("Tidak Diketahui", "-"),
        ("DSDABM", ""),
    ]


def test_repeats_are_kept_once_and_disagreeing_copies_not_at_all(surabaya, tmp_path):
    region, taxonomy = surabaya
    frame = pd.DataFrame(
        {
            "judul": ["A", "A", "B", "B"],
            "isi": [
                "jalan rusak parah",
                "jalan  RUSAK parah",
                "sampah menumpuk",
                "sampah menumpuk",
            ],
            "opd": ["pupr", "pupr", "pupr", "perhubungan"],
        }
    )
    result = _import(tmp_path / "h.csv", tmp_path / "o.csv", region, taxonomy, frame=frame)
    assert (result.rows, result.duplicates, result.conflicting) == (1, 1, 2)


def test_a_label_column_of_complaint_text_is_refused_without_a_draft(surabaya, tmp_path):
    region, taxonomy = surabaya
    source = tmp_path / "h.csv"
    long_texts = HISTORY.assign(
        opd=["Nama saya Budi, NIK 3273011203900001, " + t * 3 for t in HISTORY["isi"]]
    )
    long_texts.to_csv(source, index=False)
    with pytest.raises(InputError, match="holds long texts"):
        import_history(source, tmp_path / "o.csv", region, taxonomy, {"agency": "opd"}, "isi")
    with pytest.raises(InputError, match="is the text or title column"):
        import_history(source, tmp_path / "o.csv", region, taxonomy, {"agency": "isi"}, "isi")
    assert not list(tmp_path.glob("*mapping-draft*"))


def test_suggestions_read_the_taxonomys_typical_names(surabaya, tmp_path):
    region, taxonomy = surabaya
    frame = HISTORY.assign(opd=["DLH", "DPMPTSP", "Tidak Diketahui", "Dinas PU"])
    with pytest.raises(UnmappedNames):
        _import(tmp_path / "h.csv", tmp_path / "o.csv", region, taxonomy, frame=frame)
    table = pd.read_csv(tmp_path / "h.mapping-draft.csv", dtype=str, keep_default_na=False)
    assert dict(zip(table["raw_name"], table["suggested"], strict=True)) == {
        "DLH": "lingkungan_hidup",
        "DPMPTSP": "perizinan",
        "Tidak Diketahui": "",
        "Dinas PU": "pupr",
    }


def test_a_mapping_with_a_code_outside_the_taxonomy_is_refused(surabaya, tmp_path):
    region, taxonomy = surabaya
    mapping = tmp_path / "map.csv"
    mapping.write_text("head,raw_name,code\nagency,Dispendukcapil Kota,capil\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2: 'capil' is not a taxonomy agency code"):
        _import(tmp_path / "h.csv", tmp_path / "o.csv", region, taxonomy, mapping)


def test_a_mapping_saved_by_excel_with_semicolons_is_read(surabaya, tmp_path):
    region, taxonomy = surabaya
    mapping = tmp_path / "map.csv"
    # Excel in an Indonesian locale: ';' between fields, a byte-order mark first.
    mapping.write_bytes(
        "\ufeffhead;raw_name;rows;code;suggested\n"
        "agency;Dispendukcapil Kota;1;dukcapil;dukcapil\n"
        "agency;Tidak Diketahui;1;-;\n".encode()
    )
    out = tmp_path / "corrections" / "history.csv"
    result = _import(tmp_path / "h.csv", out, region, taxonomy, mapping)
    assert result.labelled == {"agency": 3}


def test_a_mapping_without_its_columns_names_them(surabaya, tmp_path):
    region, taxonomy = surabaya
    mapping = tmp_path / "map.csv"
    mapping.write_text("kepala;nama;kode\nagency;X;pupr\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column\\(s\\) head, raw_name, code"):
        _import(tmp_path / "h.csv", tmp_path / "o.csv", region, taxonomy, mapping)


def test_a_name_the_region_file_gives_two_codes_goes_to_review(tmp_path):
    taxonomy = load_taxonomy()
    shared = Region("kab-x", "Kab. X", {"pupr": "Dinas PUPR", "perkim": "Dinas PUPR"})
    frame = HISTORY.assign(opd=["Dinas PUPR"] * 4)
    with pytest.raises(UnmappedNames, match="1 raw value"):
        _import(tmp_path / "h.csv", tmp_path / "o.csv", shared, taxonomy, frame=frame)


def test_history_adds_what_the_project_lacks_and_corrections_win_over_it():
    columns = ["source", "uid", "region", "title", "text", "agency", "category"]
    bundled = pd.DataFrame(
        [["surabaya", "s:1", "kota-surabaya", "", "jalan rusak parah", "pupr", "jalan_jembatan"]],
        columns=columns,
    )
    history = [
        # The bundled complaint again, with a title the bundled copy lacks.
        [
            "history:kota-surabaya",
            "h:1",
            "kota-surabaya",
            "Jalan",
            "jalan rusak parah",
            "perhubungan",
            "",
        ],
        ["history:kota-surabaya", "h:2", "kota-surabaya", "", "sampah menumpuk", "kewilayahan", ""],
    ]
    reviewed = [
        ["corrections", "c:1", "kota-surabaya", "", "sampah menumpuk", "lingkungan_hidup", ""]
    ]
    corrections = pd.DataFrame(reviewed + history, columns=columns)
    merged = merge_corrections(bundled, corrections)
    by_text = dict(zip(merged["text"], merged["agency"], strict=True))
    assert by_text == {"jalan rusak parah": "pupr", "sampah menumpuk": "lingkungan_hidup"}
    assert merged.loc[merged["text"] == "jalan rusak parah", "category"].item() == "jalan_jembatan"


def test_import_history_cli(tmp_path):
    source = tmp_path / "history.csv"
    HISTORY.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    common = ["--input", str(source), "--text-column", "isi", "--output", str(out)]
    nothing = run_cli("import-history", *common, "--region", "kota-surabaya")
    assert nothing.returncode == 2 and "--agency-column" in nothing.stderr
    nowhere = run_cli("import-history", *common, "--region", "atlantis", "--agency-column", "opd")
    assert nowhere.returncode == 2 and "unknown region 'atlantis'" in nowhere.stderr
    generic = run_cli("import-history", *common, "--region", "default", "--agency-column", "opd")
    assert generic.returncode == 2 and "not 'default'" in generic.stderr
    draft = run_cli(
        "import-history", *common, "--region", "kota-surabaya", "--agency-column", "opd"
    )
    assert draft.returncode == 2 and "history.mapping-draft.csv" in draft.stderr
    assert "Traceback" not in draft.stderr and not out.exists()
    table = pd.read_csv(tmp_path / "history.mapping-draft.csv", dtype=str, keep_default_na=False)
    table["code"] = ["dukcapil", "-"]
    table.to_csv(tmp_path / "history.mapping-draft.csv", index=False)
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
    # The row whose office says nothing is counted among those left out.
    assert "left out: 1 row(s) without a text or a label" in done.stderr


def test_running_the_first_command_again_keeps_the_reviewed_codes(surabaya, tmp_path):
    region, taxonomy = surabaya
    source, out = tmp_path / "history.csv", tmp_path / "out.csv"
    draft = tmp_path / "history.mapping-draft.csv"
    with pytest.raises(UnmappedNames):
        _import(source, out, region, taxonomy)
    table = pd.read_csv(draft, dtype=str, keep_default_na=False)
    table["code"] = ["dukcapil", "-"]
    table.to_csv(draft, index=False)
    notes = []
    # No --mapping, as in the first command: the draft beside the input is read.
    result = import_history(
        source, out, region, taxonomy, {"agency": "opd"}, "isi", "judul", notify=notes.append
    )
    assert result.rows == 3 and any(str(draft) in note for note in notes)
    assert list(pd.read_csv(draft, dtype=str, keep_default_na=False)["code"]) == [
        "dukcapil",
        "-",
    ]


def test_a_table_saved_from_excel_is_written_back_as_it_was_saved(surabaya, tmp_path):
    region, taxonomy = surabaya
    mapping = tmp_path / "map.csv"
    mapping.write_bytes(
        "\ufeffhead;raw_name;rows;code;suggested\nagency;Tidak Diketahui;;-;\n".encode()
    )
    with pytest.raises(UnmappedNames):
        _import(tmp_path / "h.csv", tmp_path / "o.csv", region, taxonomy, mapping)
    written = mapping.read_bytes()
    assert written.startswith("\ufeffhead;raw_name;rows;code;suggested".encode())
    rows = pd.read_csv(mapping, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    # The reviewed row keeps its code and gets this input's count, as the new one does.
    assert rows.to_dict("records") == [
        {
            "head": "agency",
            "raw_name": "Tidak Diketahui",
            "rows": "1",
            "code": "-",
            "suggested": "",
        },
        {
            "head": "agency",
            "raw_name": "Dispendukcapil Kota",
            "rows": "1",
            "code": "",
            "suggested": "dukcapil",
        },
    ]

"""The CLI on good and bad input: clear one-line errors, non-zero exit, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from salur.model.artifact import save_model


@pytest.fixture(scope="module")
def model_dir(fitted_small, tmp_path_factory):
    base = tmp_path_factory.mktemp("models")
    return save_model(fitted_small, {"version": "t", "thresholds": {"agency": 0.5}}, "", base / "t")


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "salur.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=None if env is None else {**os.environ, **env},
    )


def classify(source, out, model, *options, env=None):
    """`salur classify` on one file, as a user would type it."""
    return run_cli(
        "classify",
        "--input",
        str(source),
        "--output",
        str(out),
        "--model",
        str(model),
        *options,
        env=env,
    )


def test_classify_keeps_columns_and_adds_predictions(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "id": ["a", "b"],
            "judul": ["Jalan", ""],
            "isi": ["jalan rusak berlubang", "ktp belum jadi"],
        }
    ).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    result = classify(source, out, model_dir, "--text-column", "isi", "--title-column", "judul")
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame.columns[:3]) == ["id", "judul", "isi"]
    for column in [
        "agency",
        "agency_confidence",
        "category",
        "category_confidence",
        "urgency",
        "urgency_confidence",
        "report_type",
        "report_type_confidence",
        "needs_review",
    ]:
        assert column in frame.columns
    assert frame.loc[0, "agency"] == "pupr"
    assert frame["agency_confidence"].between(0, 1).all()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"judul,body\nx,y\n", "column 'text' not found"),
        # An SP4N-style export: the hint names the column holding the complaint.
        (
            b"judul;isi_laporan;kategori\nJalan rusak;jalan berlubang di depan sekolah;Infra\n",
            "the longest texts are in 'isi_laporan': --text-column 'isi_laporan'",
        ),
        (b"keluhan\njalan berlubang di depan sekolah dasar\n", "--text-column 'keluhan'"),
        (b"text\n\xff\xfe jalan rusak\n", "not valid UTF-8"),
        (b'text\n"unterminated\n', "a quote opened at line 2 is never closed"),
        # A doubled quote inside a quoted text is a quote, not its end.
        (
            b'id,text\n1,"kata ""rusak"" di jalan"\n2,"lampu mati\n3,x\n',
            "a quote opened at line 3 is never closed",
        ),
        # Old Mac line endings count as lines too.
        (b'id,text\r1,jalan\r2,"lampu mati\r3,x\r', "a quote opened at line 3 is never closed"),
    ],
)
def test_classify_bad_input_is_a_clear_error(model_dir, tmp_path, content, message):
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    result = classify(source, out, model_dir)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_an_output_under_a_file_is_refused_before_the_model_loads(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\njalan rusak\n")
    # The model folder does not exist: the output's error must come first.
    result = classify(source, source / "sub" / "out.csv", tmp_path / "no-model")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{source} is a file, not a folder" in result.stderr
    # A name the file system refuses is a clear error too, not a traceback.
    long = classify(source, tmp_path / ("x" * 300) / "out.csv", tmp_path / "no-model")
    assert long.returncode == 2 and "Traceback" not in long.stderr
    assert "cannot write" in long.stderr


def test_classify_missing_input_and_bad_model(tmp_path):
    result = run_cli(
        "classify", "--input", str(tmp_path / "none.csv"), "--output", str(tmp_path / "o.csv")
    )
    assert (
        result.returncode != 0 and "not found" in result.stderr and "Traceback" not in result.stderr
    )
    source = tmp_path / "in.csv"
    source.write_text("text\njalan rusak\n")
    result = classify(source, tmp_path / "o.csv", tmp_path)
    assert (
        result.returncode != 0
        and "metadata.json" in result.stderr
        and "Traceback" not in result.stderr
    )
    unnamed = classify(source, tmp_path / "o.csv", tmp_path, "--text-column", "")
    assert unnamed.returncode == 2 and "--text-column is empty" in unnamed.stderr


@pytest.mark.parametrize(
    ("raw", "separator"),
    [
        (b'\xef\xbb\xbfid,text\n1,jalan rusak berlubang\n2,"ktp, kk belum jadi"\n', ","),
        (b'id;text\n1;jalan rusak berlubang\n2;"ktp, kk belum jadi"\n', ";"),
        (b"id\ttext\n1\tjalan rusak berlubang\n2\tktp, kk belum jadi\n", "\t"),
    ],
    ids=["utf8-bom-comma", "excel-semicolon", "tab"],
)
def test_classify_reads_common_spreadsheet_exports(model_dir, tmp_path, raw, separator):
    source = tmp_path / "in.csv"
    source.write_bytes(raw)
    out = tmp_path / "out.csv"
    result = classify(source, out, model_dir)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert list(frame["id"]) == ["1", "2"]
    assert list(frame["text"]) == ["jalan rusak berlubang", "ktp, kk belum jadi"]
    assert (frame["agency"] != "").all()


def test_rows_without_words_get_no_labels_and_need_review(fitted_small, tmp_path):
    # Thresholds of 0 auto-route every prediction, so only the word check can ask for review.
    routes_all = {"version": "t0", "thresholds": dict.fromkeys(("agency", "category"), 0.0)}
    model = save_model(fitted_small, routes_all, "", tmp_path / "t0")
    source = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "title": ["", "", "", "Jalan rusak"],
            "text": ["jalan rusak berlubang", "", "?!! 123", ""],
        }
    ).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    result = classify(source, out, model, "--title-column", "title")
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert list(frame["needs_review"]) == ["False", "True", "True", "False"]
    # Each row held for review says why; routed rows have no reason.
    assert frame.loc[0, "review_reasons"] == "" and frame.loc[3, "review_reasons"] == ""
    assert frame.loc[1, "review_reasons"] == "no readable word in the title or text"
    assert set(frame["possible_emergency"]) == {"False"}
    assert frame.loc[0, "agency"] != "" and frame.loc[3, "agency"] != ""
    assert list(frame.loc[1:2, "agency"]) == ["", ""]
    assert list(frame.loc[1:2, "agency_confidence"]) == ["", ""]
    # The model has no urgency or report-type threshold: said, not silent.
    assert "model t0 has no threshold for urgency, report_type" in result.stderr


def test_a_model_without_an_agency_threshold_says_every_row_goes_to_review(fitted_small, tmp_path):
    model = save_model(fitted_small, {"version": "bare"}, "", tmp_path / "bare")
    source = tmp_path / "in.csv"
    pd.DataFrame({"text": ["jalan rusak berlubang"]}).to_csv(source, index=False)
    result = classify(source, tmp_path / "out.csv", model)
    assert result.returncode == 0, result.stderr
    assert "needs_review is True for every row" in result.stderr
    assert pd.read_csv(tmp_path / "out.csv")["needs_review"].tolist() == [True]


def test_one_column_exports_keep_their_commas(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"text\njalan rusak, berlubang\nlampu jalan mati\n")
    out = tmp_path / "out.csv"
    result = classify(source, out, model_dir)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert list(frame["text"]) == ["jalan rusak, berlubang", "lampu jalan mati"]


def test_rows_with_more_fields_than_the_header_are_refused(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"id,text\n1,jalan rusak, berlubang\n2,lampu mati\n")
    result = classify(source, tmp_path / "o.csv", model_dir)
    assert result.returncode != 0
    assert "more fields than the header" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o.csv").exists()


def test_classify_routes_as_the_service_does_in_a_region(model_dir, tmp_path):
    from salur.model.taxonomy import load_taxonomy

    source = tmp_path / "in.csv"
    pd.DataFrame({"text": ["jalan rusak berlubang", "ktp belum jadi", ""]}).to_csv(
        source, index=False
    )
    regions = tmp_path / "regions"
    regions.mkdir()
    opds = ", ".join(f"{code}: OPD {code}" for code in load_taxonomy().agencies)
    # Every agency has an office here, and nothing auto-routes.
    (regions / "strict.yaml").write_text(
        f"code: strict\nname: Strict\nopds: {{{opds}}}\nthresholds: {{agency: 1.0}}\n"
    )
    out = tmp_path / "out.csv"
    plain = classify(source, out, model_dir)
    assert plain.returncode == 0, plain.stderr
    assert "False" in set(pd.read_csv(out, dtype=str, keep_default_na=False)["needs_review"])
    result = classify(source, out, model_dir, "--region", "strict", "--regions-dir", str(regions))
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert list(frame["opd_name"][:2]) == [f"OPD {code}" for code in frame["agency"][:2]]
    assert frame.loc[2, "opd_name"] == ""
    assert list(frame["local_office"]) == ["", "", ""]
    assert list(frame["needs_review"]) == ["True", "True", "True"]
    # A region that sends every category to the local office, which the text names.
    categories = ", ".join(f"{code}: kewilayahan" for code in load_taxonomy().categories)
    (regions / "wards.yaml").write_text(
        f"code: wards\nname: Wards\nopds: {{kewilayahan: Kelurahan setempat}}\n"
        f"category_overrides: {{{categories}}}\nlocal_offices: [Kelurahan Ploso]\n"
    )
    pd.DataFrame(
        {"text": ["jalan rusak di kel. Ploso", "jalan rusak"], "title": ["", "Kel. Ploso"]}
    ).to_csv(source, index=False)
    wards = classify(
        source,
        out,
        model_dir,
        "--region",
        "wards",
        "--regions-dir",
        str(regions),
        "--title-column",
        "title",
    )
    assert wards.returncode == 0, wards.stderr
    frame = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert list(frame["local_office"]) == ["Kelurahan Ploso", "Kelurahan Ploso"]
    assert list(frame["opd_name"]) == ["Kelurahan Ploso", "Kelurahan Ploso"]
    unknown = classify(
        source, out, model_dir, "--region", "atlantis", "--regions-dir", str(regions)
    )
    assert unknown.returncode != 0 and "unknown region 'atlantis'" in unknown.stderr
    assert "known regions: strict" in unknown.stderr


def test_an_exports_own_label_columns_are_kept_beside_the_predictions(model_dir, tmp_path):
    # SP4N exports carry their own category and agency; they must not block a run.
    source = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "tracking_id": ["0012"],
            "title": ["Jalan rusak"],
            "text": ["jalan rusak berlubang di desa"],
            "category": ["Infrastruktur"],
            "agency": ["Dinas PUTR"],
        }
    ).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    result = classify(source, out, model_dir, "--title-column", "title")
    assert result.returncode == 0, result.stderr
    assert "category_input (was category)" in result.stderr
    frame = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert list(frame.columns[:5]) == [
        "tracking_id",
        "title",
        "text",
        "category_input",
        "agency_input",
    ]
    assert frame.loc[0, "tracking_id"] == "0012"
    assert frame.loc[0, "category_input"] == "Infrastruktur"
    assert frame.loc[0, "agency"] == "pupr"


def test_output_that_cannot_be_written_is_a_clear_error(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\njalan rusak\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for out in [tmp_path, blocker / "out.csv"]:
        result = classify(source, out, model_dir)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert "directory" in result.stderr or "cannot write" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04rest of a workbook", "Excel workbook"),
        (b"\x1f\x8b\x08\x00compressed", "gzip-compressed"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel workbook"),
        (b"text\njalan\nrusak\n\xff\n", "line 4, byte 17"),
        (b"\xef\xbb\xbftext\n\xff\n", "line 2, byte 8"),
        (b"id,text\n1,ok\n2,jalan rusak, berlubang\n", "first at line 3"),
        (b"text,id,text\njalan,1,rusak\n", "2 columns named 'text'"),
        # A quoted header name spanning two lines must not hide the repeat.
        (b'"text",id,"judul\nlaporan",text\n1,2,3,4\n', "2 columns named 'text'"),
        # Old Mac line endings: the line is still found, and no traceback.
        (b"id,text\r1,jalan\r2,jalan rusak, berlubang\r", "first at line 3"),
        (b"text\rjalan\r\xff\r", "line 3, byte 11"),
        (b"id, text \n1,jalan\n", "'id', ' text '"),
        ("text\njalan rusak\n".encode("utf-16-le"), "looks like UTF-16 or UTF-32"),
        ("text\njalan rusak\n".encode("utf-32"), "looks like UTF-16 or UTF-32"),
    ],
)
def test_unreadable_files_say_what_they_are_and_where(tmp_path, content, message):
    from salur.training.batch import InputError, read_input

    source = tmp_path / "in.csv"
    source.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        read_input(source, "text", None)


def test_a_directory_is_not_an_input(tmp_path):
    from salur.training.batch import InputError, read_input

    with pytest.raises(InputError, match="is a directory"):
        read_input(tmp_path, "text", None)


def test_headers_rows_and_encodings_come_through_unchanged(tmp_path):
    from salur.training.batch import read_input

    source = tmp_path / "in.csv"
    # Excel "Unicode text": UTF-16 with a BOM, tab-separated.
    source.write_bytes("id\ttext\n7\tjalan rusak\n".encode("utf-16"))
    assert read_input(source, "text", None).to_dict("list") == {
        "id": ["7"],
        "text": ["jalan rusak"],
    }
    # An empty header name (a trailing separator) and a repeated one stay as written.
    source.write_bytes(b"note,text,note,\na,jalan rusak,b,\n")
    assert list(read_input(source, "text", None).columns) == ["note", "text", "note", ""]
    # A separator inside a quoted column name does not count.
    source.write_bytes(b'"Judul, Ringkas";text\nx;jalan rusak, berlubang\n')
    assert read_input(source, "text", None)["text"].tolist() == ["jalan rusak, berlubang"]
    # A quoted one-column header (R's write.csv, QUOTE_ALL) is unquoted like any other.
    source.write_bytes(b'"text"\n"jalan rusak, berlubang"\n')
    assert read_input(source, "text", None).to_dict("list") == {"text": ["jalan rusak, berlubang"]}
    # In a one-column file an empty line is an empty complaint, not nothing.
    source.write_bytes(b"text\njalan rusak\n\nsampah\n")
    assert read_input(source, "text", None)["text"].tolist() == ["jalan rusak", "", "sampah"]


def test_classify_routes_each_row_in_the_region_its_column_names(save_small_model, tmp_path):
    from salur.model.taxonomy import load_taxonomy

    model = save_small_model(
        "per-row-regions",
        thresholds={"agency": 0.0, "category": 0.0, "urgency": 0.5, "report_type": 0.5},
        region_thresholds={"seen": {"agency": 0.0, "category": 0.0}},
        confidence_calibration_unseen_region={"agency": {"slope": 1.0, "intercept": -3.0}},
    )
    regions = tmp_path / "regions"
    regions.mkdir()
    for code in ("seen", "unseen", "default"):
        opds = ", ".join(f"{a}: {code} OPD {a}" for a in load_taxonomy().agencies)
        (regions / f"{code}.yaml").write_text(f"code: {code}\nname: {code}\nopds: {{{opds}}}\n")
    source = tmp_path / "in.csv"
    pd.DataFrame(
        {"text": ["jalan rusak berlubang"] * 3, "wilayah": ["seen", " unseen ", ""]}
    ).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    result = classify(
        source, out, model, "--region-column", "wilayah", "--regions-dir", str(regions)
    )
    assert result.returncode == 0, result.stderr
    routed = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert routed["wilayah"].tolist() == ["seen", " unseen ", ""]
    # Only the region the model measured routes; the others go to review.
    assert routed["needs_review"].tolist() == ["False", "True", "True"]
    # The same text is less likely right in a region the model never saw, and
    # its confidence says so there (the map for unseen regions).
    seen, unseen, named_none = routed["agency_confidence"].astype(float)
    assert unseen == named_none < seen
    assert [name.split(" OPD ")[0] for name in routed["opd_name"]] == ["seen", "unseen", "default"]
    assert "region unseen: every complaint goes to review" in result.stderr
    plain = classify(source, tmp_path / "plain.csv", model)
    assert "agency confidences are calibrated as for a region the model never saw" in (plain.stderr)

    # A value that is no region stops the run before anything is written.
    out.unlink()
    pd.DataFrame({"text": ["jalan rusak"] * 3, "wilayah": ["seen", "Unseen ", "surabaya"]}).to_csv(
        source, index=False
    )
    refused = classify(
        source, out, model, "--region-column", "wilayah", "--regions-dir", str(regions)
    )
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    # A slip close to a known code is shown; any other value is only counted.
    assert "'Unseen' in 1 row(s)" in refused.stderr and "known regions: default" in refused.stderr
    assert "1 row(s) of other values" in refused.stderr and "surabaya" not in refused.stderr
    assert not out.exists()
    # The text column given by mistake: its complaints are counted, never printed.
    pd.DataFrame(
        {"text": ["Nama saya Budi Santoso, jalan di depan rumah saya rusak parah"] * 2}
    ).to_csv(source, index=False)
    wrong = classify(source, out, model, "--region-column", "text", "--regions-dir", str(regions))
    assert wrong.returncode != 0 and "2 row(s) of other values, not shown" in wrong.stderr
    assert "Budi" not in wrong.stderr
    # A short personal value (a name, a NIK) from the wrong column is not shown either.
    pd.DataFrame(
        {"text": ["jalan rusak"] * 2, "pelapor": ["Budi Santoso", "3273011203900001"]}
    ).to_csv(source, index=False)
    named = classify(
        source, out, model, "--region-column", "pelapor", "--regions-dir", str(regions)
    )
    assert named.returncode != 0 and "2 row(s) of other values" in named.stderr
    assert "Budi" not in named.stderr and "3273011203900001" not in named.stderr
    pd.DataFrame({"text": ["jalan rusak"] * 3, "wilayah": ["seen", "surabaya", "surabaya"]}).to_csv(
        source, index=False
    )
    missing = classify(source, out, model, "--region-column", "kota", "--regions-dir", str(regions))
    assert missing.returncode != 0 and "column 'kota' not found" in missing.stderr
    both = classify(
        source,
        out,
        model,
        "--region",
        "seen",
        "--region-column",
        "wilayah",
        "--regions-dir",
        str(regions),
    )
    assert both.returncode != 0 and "not both" in both.stderr


def test_classify_in_a_region_the_model_never_saw_sends_every_row_to_review(
    save_small_model, tmp_path, monkeypatch
):
    from salur.model.taxonomy import load_taxonomy

    model = save_small_model(
        "regional",
        # Pooled thresholds that route nothing: rows of "seen" auto-route only
        # if its own measured thresholds are the ones applied.
        thresholds={"agency": 1.0, "category": 1.0, "urgency": 0.5, "report_type": 0.5},
        region_thresholds={"seen": {"agency": 0.0, "category": 0.0}},
    )
    source = tmp_path / "in.csv"
    pd.DataFrame({"text": ["jalan rusak berlubang", "ktp belum jadi"]}).to_csv(source, index=False)
    regions = tmp_path / "regions"
    regions.mkdir()
    opds = ", ".join(f"{code}: OPD {code}" for code in load_taxonomy().agencies)
    for code in ("seen", "unseen"):
        (regions / f"{code}.yaml").write_text(f"code: {code}\nname: {code}\nopds: {{{opds}}}\n")
    out = tmp_path / "out.csv"
    decided = {}
    for code in ("seen", "unseen"):
        result = classify(source, out, model, "--region", code, "--regions-dir", str(regions))
        assert result.returncode == 0, result.stderr
        decided[code] = (list(pd.read_csv(out, dtype=str)["needs_review"]), result.stderr)
    assert decided["seen"][0] == ["False", "False"] and "review" not in decided["seen"][1]
    # Without --region a row may come from any region, "unseen" as much as "seen".
    plain = classify(source, out, model)
    assert list(pd.read_csv(out, dtype=str)["needs_review"]) == ["True", "True"]
    assert "without --region every row needs review" in plain.stderr
    assert "routes automatically in seen)" in plain.stderr
    assert decided["unseen"][0] == ["True", "True"]
    assert "region unseen: every complaint goes to review" in decided["unseen"][1]
    assert "no labelled complaints of this region" in decided["unseen"][1]
    # The service's SALUR_THRESHOLDS apply as they do there: stricter, never looser.
    monkeypatch.setenv("SALUR_THRESHOLDS", '{"agency": 0.0}')
    opened = classify(source, out, model, "--region", "unseen", "--regions-dir", str(regions))
    assert list(pd.read_csv(out, dtype=str)["needs_review"]) == ["True", "True"], opened.stderr
    monkeypatch.setenv("SALUR_THRESHOLDS", '{"agency": 1.0}')
    stricter = classify(source, out, model, "--region", "seen", "--regions-dir", str(regions))
    assert list(pd.read_csv(out, dtype=str)["needs_review"]) == ["True", "True"], stricter.stderr
    monkeypatch.setenv("SALUR_PORT", "not-a-port")
    monkeypatch.setenv("SALUR_API_KEYS", "secret-key-value")
    broken = classify(source, out, model, "--region", "seen", "--regions-dir", str(regions))
    assert broken.returncode == 2 and "port" in broken.stderr
    assert "secret-key-value" not in broken.stderr and "not-a-port" not in broken.stderr


def test_classify_stopped_by_sigterm_leaves_no_partial_output(model_dir, tmp_path):
    import signal
    import time

    source = tmp_path / "in.csv"
    pd.DataFrame({"text": [f"jalan rusak berlubang nomor {i}" for i in range(40_000)]}).to_csv(
        source, index=False
    )
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "salur.cli",
            "classify",
            "--input",
            str(source),
            "--output",
            str(out_dir / "out.csv"),
            "--model",
            str(model_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    # The temporary output exists once classifying has started.
    while not list(out_dir.iterdir()) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "classify finished before it could be stopped"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert list(out_dir.iterdir()) == []
    assert "Traceback" not in stderr


def test_the_output_never_replaces_the_input_a_link_or_a_device(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\njalan rusak berlubang\n", encoding="utf-8")
    before = source.read_bytes()
    same = classify(source, source, model_dir)
    assert same.returncode != 0 and "is the input file" in same.stderr
    assert source.read_bytes() == before
    target = tmp_path / "real.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert classify(source, link, model_dir).returncode == 0
    assert link.is_symlink() and "agency" in target.read_text(encoding="utf-8")
    # A device is written to, not renamed over.
    assert classify(source, "/dev/null", model_dir).returncode == 0
    assert not Path("/dev/null").is_file()


def test_the_output_gets_the_usual_file_mode(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\njalan rusak berlubang\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    previous = os.umask(0o022)
    try:
        assert classify(source, out, model_dir).returncode == 0
    finally:
        os.umask(previous)
    assert out.stat().st_mode & 0o777 == 0o644


def test_a_file_without_a_header_is_named_as_such_and_its_text_not_printed(model_dir, tmp_path):
    complaint = "Warga Ciputat jarang mendapatkan bantuan ketika banjir " * 4 + "Bapak Joko"
    source = tmp_path / "in.csv"
    source.write_text(f'5216807,Bantuan Bencana,"{complaint}"\n1,a,"b c d"\n', encoding="utf-8")
    result = classify(source, tmp_path / "out.csv", model_dir)
    assert result.returncode != 0 and "does not look like a header row" in result.stderr
    assert "Ciputat" not in result.stderr and "Joko" not in result.stderr


def test_a_title_line_above_the_header_is_named(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "Daftar Pengaduan SP4N-LAPOR! Kab. Contoh periode Jan 2024\nid,title,text\n1,a,jalan rusak\n",
        encoding="utf-8",
    )
    result = classify(source, tmp_path / "out.csv", model_dir)
    assert result.returncode != 0
    assert "line 2 names the column 'text'" in result.stderr and "remove them" in result.stderr


def test_rows_taken_in_by_an_unclosed_quote_are_pointed_out(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    # An unquoted export whose first text opens a quote: pandas, rightly by the
    # CSV rules, reads rows 2 and 3 into that text, and 4 rows become 2.
    source.write_text(
        'id,text\n1,"jalan rusak parah\n2,lampu mati\n3,sampah "kata warga"\n4,air keruh\n',
        encoding="utf-8",
    )
    merged = classify(source, tmp_path / "out.csv", model_dir)
    assert merged.returncode == 0
    assert "1 cell(s) hold whole lines that look like rows of their own" in merged.stderr
    # A quoted line break with a comma after it is a text, not a row.
    source.write_text(
        'id,text\n1,"jalan rusak\nparah sekali, tolong"\n2,lampu mati\n', encoding="utf-8"
    )
    quoted = classify(source, tmp_path / "out.csv", model_dir)
    assert quoted.returncode == 0 and "look like rows" not in quoted.stderr


def test_short_rows_and_wordless_columns_are_reported(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "id,title,text,date\n1,Jalan,jalan rusak di depan\nsekolah sudah lama,2024-01-01\n"
        "2,Lampu,lampu mati,2024-01-02\n",
        encoding="utf-8",
    )
    result = classify(source, tmp_path / "out.csv", model_dir)
    assert result.returncode == 0
    assert "2 row(s) have fewer fields than the header (first at line 2)" in result.stderr
    ids = tmp_path / "ids.csv"
    ids.write_text("id,text\n0012,jalan rusak\n0013,lampu mati\n", encoding="utf-8")
    wordless = classify(ids, tmp_path / "out2.csv", model_dir, "--text-column", "id")
    assert wordless.returncode == 0
    assert "2 of 2 rows have no readable word in 'id'" in wordless.stderr
    assert "is that the complaint text column?" in wordless.stderr


def test_service_settings_that_classify_reads_fail_in_one_line(model_dir, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\njalan rusak berlubang\n", encoding="utf-8")
    out = tmp_path / "out.csv"

    def run(**env):
        return classify(source, out, model_dir, "--region", "kota-surabaya", env=env)

    for thresholds, message in [
        ("notjson", "cannot read the service settings"),
        ('{"agency": 5}', "between 0 and 1.01"),
        ('{"nonsense": 0.2}', "unknown head(s) nonsense"),
    ]:
        result = run(SALUR_THRESHOLDS=thresholds)
        assert result.returncode != 0 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    pinned = run(SALUR_MODEL_SHA256="0" * 64)
    assert pinned.returncode != 0 and "is not the pinned" in pinned.stderr


def test_classify_uses_the_model_the_service_would_serve(fitted_small, tmp_path):
    root = tmp_path / "srv-models"
    root.mkdir()
    save_model(fitted_small, {"version": "promoted-one"}, "", root / "promoted-one")
    (root / "PROMOTED").write_text("promoted-one\n", encoding="utf-8")
    source = tmp_path / "in.csv"
    pd.DataFrame({"text": ["jalan rusak berlubang"]}).to_csv(source, index=False)
    result = run_cli(
        "classify",
        "--input",
        str(source),
        "--output",
        str(tmp_path / "out.csv"),
        env={"SALUR_MODELS_ROOT": str(root)},
    )
    assert result.returncode == 0, result.stderr
    # Its notice names the model that classified the file: the promoted one.
    assert "model promoted-one has no threshold" in result.stderr

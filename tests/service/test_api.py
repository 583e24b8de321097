import pytest
from salur.service.app import create_app
from salur.service.settings import Settings

TEXT = "Jalan rusak berlubang parah di depan sekolah, sudah dua minggu tidak diperbaiki"


def test_classify_answers_every_head(client, auth):
    response = client.post(
        "/v1/classify",
        json={
            "text": TEXT,
            "title": "Jalan rusak",
            "region": "kota-surabaya",
            "channel": "sms",
            "external_id": "x-1",
        },
        headers=auth,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agency"]["code"] == "pupr"
    assert body["agency"]["opd_name"] == "Dinas Sumber Daya Air dan Bina Marga"
    assert body["agency"]["name"]
    for head in ("agency", "category", "urgency", "report_type"):
        assert 0 <= body[head]["confidence"] <= 1
        assert 1 <= len(body[head]["top"]) <= 3
        assert body[head]["top"][0]["code"] == body[head]["code"]
    assert body["decision"]["outcome"] in {"auto_route", "needs_review"}
    assert body["decision"]["reasons"]
    assert body["report_type"]["deadline_working_days"] == body["sp4n_deadline_working_days"]
    assert body["sp4n_deadline_working_days"] in {5, 14, 60}
    assert body["external_id"] == "x-1" and body["channel"] == "sms"
    assert body["model_version"] == "small-test"
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert any("jalan" in t for t in body["explanation"]["agency"])


def test_region_is_optional_and_defaults(client, auth):
    body = client.post("/v1/classify", json={"text": TEXT}, headers=auth).json()
    assert body["region"] == "default"
    assert body["agency"]["opd_name"] == "Pekerjaan umum dan penataan ruang"


def test_a_complaint_for_the_local_office_names_the_office_it_mentions(make_client, auth, tmp_path):
    import shutil

    import yaml
    from salur.model.taxonomy import load_taxonomy
    from salur.service.settings import DEFAULT_REGIONS_DIR

    # Every category goes to the local office here, so whatever the small test
    # model predicts, the office lookup is what decides opd_name.
    shutil.copy(DEFAULT_REGIONS_DIR / "default.yaml", tmp_path / "default.yaml")
    region = {
        "code": "kota-uji",
        "name": "Kota Uji",
        "opds": {"kewilayahan": "Kelurahan setempat"},
        "category_overrides": dict.fromkeys(load_taxonomy().categories, "kewilayahan"),
        "local_offices": ["Kelurahan Ploso", "Kecamatan Gubeng"],
    }
    (tmp_path / "kota-uji.yaml").write_text(yaml.safe_dump(region), encoding="utf-8")
    client = make_client(regions_dir=tmp_path)

    def agency(text):
        payload = {"text": text, "region": "kota-uji"}
        return client.post("/v1/classify", json=payload, headers=auth).json()["agency"]

    named = agency("Pelayanan loket kel. Ploso lambat, petugas tidak ada saat jam kerja")
    assert named["code"] == "kewilayahan"
    assert named["local_office"] == named["opd_name"] == "Kelurahan Ploso"
    unnamed = agency("Pelayanan loket kelurahan lambat, petugas tidak ada saat jam kerja")
    assert unnamed["local_office"] is None and unnamed["opd_name"] == "Kelurahan setempat"


def test_unknown_region_lists_known_ones(client, auth):
    response = client.post("/v1/classify", json={"text": TEXT, "region": "atlantis"}, headers=auth)
    assert response.status_code == 422
    assert (
        "kota-surabaya" in response.json()["detail"] and "kab-bandung" in response.json()["detail"]
    )


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({"text": ""}, 422, "empty"),
        ({"text": "   \n\t "}, 422, "empty"),
        ({"text": "\x00\x01\x02 12345 !!!"}, 422, "no readable words"),
        ({"text": "[TELEPON] https://bit.ly/x 0812345678901"}, 422, "no readable words"),
        ({"text": "a" * 20_001}, 413, "limit is 20000"),
        ({"text": TEXT, "title": "t" * 501}, 413, "title"),
        ({}, 422, "missing"),
        ({"text": 5}, 422, "string"),
        ({"text": TEXT, "unexpected": 1}, 422, "extra"),
        ({"text": TEXT, "channel": "SMS Gateway!"}, 422, "pattern"),
    ],
)
def test_bad_input_is_a_4xx_with_reason(client, auth, payload, status, needle):
    response = client.post("/v1/classify", json=payload, headers=auth)
    assert response.status_code == status
    assert needle in response.text.lower()


def test_channel_is_read_whatever_its_case(client, auth):
    response = client.post("/v1/classify", json={"text": TEXT, "channel": " SMS "}, headers=auth)
    assert response.status_code == 200
    assert response.json()["channel"] == "sms"


def test_validation_errors_do_not_echo_the_text(client, auth):
    secret = "Nama saya Budi NIK 3173012345678901 rumah saya kebanjiran"
    response = client.post("/v1/classify", json={"text": secret, "oops": True}, headers=auth)
    assert response.status_code == 422
    assert "3173012345678901" not in response.text and "Budi" not in response.text


def test_malformed_json_is_422(client, auth):
    response = client.post(
        "/v1/classify",
        content=b'{"text": "jalan',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "json" in response.text.lower()


def test_a_latin1_body_is_told_to_be_utf8(client, auth):
    latin1 = '{"text": "caf\u00e9 di depan rumah, jalan rusak parah sekali"}'.encode("latin-1")
    response = client.post(
        "/v1/classify",
        content=latin1,
        headers={**auth, "Content-Type": "application/json; charset=ISO-8859-1"},
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "UTF-8" in detail and "charset=ISO-8859-1" in detail
    assert "rusak" not in detail  # the complaint is not echoed


def test_body_size_limit(make_client, auth):
    small = make_client(max_body_bytes=1000)
    response = small.post("/v1/classify", json={"text": "jalan " * 500}, headers=auth)
    assert response.status_code == 413 and "larger than 1000" in response.text
    assert response.json()["request_id"] == response.headers["X-Request-ID"]
    # Without a key the body is never read: the refusal is about the key.
    keyless = small.post("/v1/classify", json={"text": "jalan " * 500})
    assert keyless.status_code == 401


def test_chunked_body_size_limit(make_client, auth):
    small = make_client(max_body_bytes=1000)

    def chunks():
        yield b'{"text": "'
        for _ in range(50):
            yield b"jalan rusak " * 10
        yield b'"}'

    response = small.post(
        "/v1/classify", content=chunks(), headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_batch_with_some_bad_items(client, auth):
    items = [
        {"text": TEXT, "region": "kab-bandung"},
        {"text": ""},
        {"text": "ktp el belum jadi sudah tiga bulan", "region": "nowhere"},
        {"text": "bantuan sosial pkh belum cair", "region": "kota-surabaya"},
    ]
    response = client.post("/v1/classify/batch", json={"items": items}, headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4 and body["failed"] == 2
    assert [i["ok"] for i in body["items"]] == [True, False, False, True]
    assert body["items"][1]["error"]["status"] == 422
    assert "unknown region" in body["items"][2]["error"]["detail"]
    assert body["items"][0]["result"]["agency"]["opd_name"].endswith("Kab. Bandung")
    ids = {body["items"][0]["result"]["request_id"], body["items"][3]["result"]["request_id"]}
    assert len(ids) == 2


def test_a_malformed_batch_item_fails_alone_without_echoing_it(client, auth):
    secret = "Nama saya Budi NIK 3173012345678901"
    items = [
        {"text": TEXT},
        {"text": 5},
        {"text": secret, "unexpected": secret},
        "just a string",
        {"text": TEXT, "channel": "SMS Gateway!"},
    ]
    response = client.post("/v1/classify/batch", json={"items": items}, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["ok"] for i in body["items"]] == [True, False, False, False, False]
    errors = [i["error"] for i in body["items"][1:]]
    assert {e["status"] for e in errors} == {422}
    assert "text" in errors[0]["detail"] and "string" in errors[0]["detail"]
    assert "unexpected" in errors[1]["detail"]
    assert "pattern" in errors[3]["detail"]
    assert "3173012345678901" not in response.text and "Budi" not in response.text


def test_batch_documents_its_items_as_classify_requests(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["BatchRequest"]
    assert schema["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/ClassifyRequest"
    }


def test_batch_item_ids_are_their_places_so_a_fixed_retry_is_recognised(make_client, auth):
    client = make_client(thresholds={"agency": 1.01})  # every item goes to review
    headers = {**auth, "X-Request-ID": "intake-42"}
    second = {"text": "bantuan sosial pkh belum cair", "region": "kota-surabaya"}
    first_try = client.post(
        "/v1/classify/batch", json={"items": [{"text": ""}, second]}, headers=headers
    ).json()
    assert first_try["items"][1]["result"]["request_id"] == "intake-42-1"
    fixed = {"text": TEXT, "region": "kota-surabaya"}
    retry = client.post("/v1/classify/batch", json={"items": [fixed, second]}, headers=headers)
    assert retry.status_code == 200, retry.text
    assert [i["result"]["request_id"] for i in retry.json()["items"]] == [
        "intake-42-0",
        "intake-42-1",
    ]
    stored = client.get("/v1/review/queue?limit=500", headers=auth).json()["items"]
    assert sorted(item["request_id"] for item in stored) == ["intake-42-0", "intake-42-1"]


def test_a_reused_request_id_for_another_person_is_refused_not_dropped(make_client, auth):
    client = make_client(thresholds={"agency": 1.01})  # every complaint goes to review
    headers = {**auth, "X-Request-ID": "intake-7"}
    budi = "Nama saya Budi, NIK 3273011203900001, jalan rusak parah di depan rumah"
    siti = "Nama saya Siti, NIK 3273011203900999, jalan rusak parah di depan rumah"
    sent = {"text": budi, "region": "kota-surabaya"}
    assert client.post("/v1/classify", json=sent, headers=headers).status_code == 200
    assert client.post("/v1/classify", json=sent, headers=headers).status_code == 200  # retry
    other = client.post(
        "/v1/classify", json={"text": siti, "region": "kota-surabaya"}, headers=headers
    )
    assert other.status_code == 409 and "different complaint" in other.json()["detail"]
    elsewhere = client.post(
        "/v1/classify", json={"text": budi, "region": "kab-bandung"}, headers=headers
    )
    assert elsewhere.status_code == 409
    stored = client.get("/v1/review/queue?limit=500", headers=auth).json()["items"]
    assert [item["request_id"] for item in stored] == ["intake-7"]


def test_batch_limits(make_client, auth):
    client = make_client(max_batch_items=3)
    items = [{"text": TEXT}] * 4
    response = client.post("/v1/classify/batch", json={"items": items}, headers=auth)
    assert response.status_code == 413 and "limit is 3" in response.text
    assert client.post("/v1/classify/batch", json={"items": []}, headers=auth).status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/classify"),
        ("post", "/v1/classify/batch"),
        ("get", "/v1/taxonomy"),
        ("get", "/v1/regions"),
        ("get", "/v1/regions/kota-surabaya"),
        ("get", "/v1/model"),
        ("get", "/metrics"),
    ],
)
def test_auth_is_required(client, method, path):
    missing = getattr(client, method)(path)
    assert missing.status_code == 401
    wrong = getattr(client, method)(path, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 403


def test_no_keys_configured_refuses_everything(make_client):
    client = make_client(api_keys=[])
    assert client.get("/v1/taxonomy", headers={"X-API-Key": ""}).status_code == 401
    assert client.get("/v1/taxonomy", headers={"X-API-Key": "anything"}).status_code == 403


def test_development_mode_disables_auth_explicitly(make_client):
    client = make_client(api_keys=[], auth_disabled=True)
    assert client.get("/v1/taxonomy").status_code == 200


def test_public_endpoints(client):
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["model_version"] == "small-test"
    assert client.get("/docs").status_code == 200
    assert "/v1/classify" in client.get("/openapi.json").json()["paths"]


def test_readyz_fails_without_model(tmp_path):
    from fastapi.testclient import TestClient

    with TestClient(create_app(Settings(model_dir=tmp_path / "missing", api_keys=["k"]))) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "does not exist" in response.json()["detail"]
        assert client.get("/healthz").status_code == 200
        refused = client.post("/v1/classify", json={"text": TEXT}, headers={"X-API-Key": "k"})
        assert refused.status_code == 503


def test_taxonomy(client, auth):
    body = client.get("/v1/taxonomy", headers=auth).json()
    assert len(body["categories"]) == 29 and len(body["agencies"]) == 26
    assert {u["code"] for u in body["urgency"]} == {"darurat", "tinggi", "sedang", "rendah"}
    assert {r["deadline_working_days"] for r in body["report_types"]} == {5, 14, 60}
    assert "infrastruktur" in body["groups"]


def test_regions(client, auth):
    listing = client.get("/v1/regions", headers=auth).json()
    assert {r["code"] for r in listing} >= {"default", "kota-surabaya", "kab-bandung"}
    detail = client.get("/v1/regions/kota-surabaya", headers=auth).json()
    pdam = [o for o in detail["opds"] if o["agency_code"] == "pdam"]
    assert pdam and "PDAM" in pdam[0]["opd_name"]
    assert "pemberdayaan_desa" in detail["unmapped_agency_codes"]
    assert "Kelurahan Ploso" in detail["local_offices"]
    assert client.get("/v1/regions/nowhere", headers=auth).status_code == 404


def test_model_info(client, auth):
    body = client.get("/v1/model", headers=auth).json()
    assert body["version"] == "small-test" and body["thresholds"]["agency"] == 0.5
    assert len(body["pipeline_sha256"]) == 64
    assert len(body["model_sha256"]) == 64 and body["model_sha256"] != body["pipeline_sha256"]


def test_threshold_override_from_settings(make_client, auth):
    strict = make_client(thresholds={"agency": 1.01})
    body = strict.post("/v1/classify", json={"text": TEXT}, headers=auth).json()
    assert body["decision"]["outcome"] == "needs_review"
    assert "review-only here (threshold 1.01" in body["decision"]["reasons"][0]


def test_metrics(client, auth):
    client.post("/v1/classify", json={"text": TEXT}, headers=auth)
    text = client.get("/metrics", headers=auth).text
    assert 'salur_requests_total{method="POST",route="/v1/classify",status="200"}' in text
    assert "salur_request_duration_seconds_bucket" in text
    assert 'salur_decisions_total{head="routing"' in text
    assert 'salur_model_info{version="small-test"} 1.0' in text


def test_logs_never_contain_complaint_text(client, auth, caplog):
    caplog.set_level("DEBUG")
    secret = "Saya Siti Aminah NIK 3173012345678901 hp 081234567890 jalan rusak"
    client.post("/v1/classify", json={"text": secret, "region": "kota-surabaya"}, headers=auth)
    client.post("/v1/classify", json={"text": secret, "region": "nowhere"}, headers=auth)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "request_id=" in logged
    for fragment in ("3173012345678901", "081234567890", "Siti", "jalan rusak"):
        assert fragment not in logged


def test_request_id_is_propagated_when_sane(client, auth):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    response = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert response.headers["X-Request-ID"] != "bad id with spaces"
    # On the API the id is what makes a retry safe; a replaced one would store
    # every retry again, so a malformed one is refused instead.
    refused = client.post(
        "/v1/classify",
        json={"text": TEXT},
        headers={**auth, "X-Request-ID": "lapor:2024/000123"},
    )
    assert refused.status_code == 400 and "X-Request-ID must be" in refused.json()["detail"]
    assert refused.json()["request_id"] == refused.headers["X-Request-ID"]


def test_a_body_that_is_not_json_is_415(client, auth):
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = client.post(
            "/v1/classify",
            content=b'{"text": "jalan rusak"}',
            headers={**auth, "Content-Type": content_type},
        )
        assert response.status_code == 415, response.text
        assert "application/json" in response.json()["detail"]
    charset = {**auth, "Content-Type": "application/json; charset=utf-8"}
    assert (
        client.post(
            "/v1/classify", content=b'{"text": "%s"}' % TEXT.encode(), headers=charset
        ).status_code
        == 200
    )


def classify_in_regions(model_dir, tmp_path, extra_regions, requests, thresholds=None):
    """POST each (text, region) to a service whose regions are the shipped ones plus extras."""
    import shutil

    from fastapi.testclient import TestClient

    regions = tmp_path / "regions"
    shutil.copytree(Settings().regions_dir, regions)
    for code, body in extra_regions.items():
        (regions / f"{code}.yaml").write_text(f"code: {code}\nname: {code}\n{body}")
    settings = Settings(
        model_dir=model_dir,
        regions_dir=regions,
        api_keys=["test-key-123"],
        thresholds=thresholds or {},
    )
    headers = {"X-API-Key": "test-key-123"}
    with TestClient(create_app(settings)) as other:
        return [
            other.post(
                "/v1/classify", json={"text": text, "region": region}, headers=headers
            ).json()
            for text, region in requests
        ]


def test_category_override_changes_agency(client, small_model_dir, tmp_path, auth):
    category = client.post("/v1/classify", json={"text": TEXT}, headers=auth).json()["category"][
        "code"
    ]
    region = (
        "opds: {perhubungan: Dishub Test, pupr: PU Test}\n"
        f"category_overrides: {{{category}: perhubungan}}\n"
    )
    [body] = classify_in_regions(
        small_model_dir, tmp_path, {"test-region": region}, [(TEXT, "test-region")]
    )
    assert body["agency"]["code"] == "perhubungan"
    assert body["agency"]["predicted_code"] == "pupr"
    assert body["agency"]["opd_name"] == "Dishub Test"
    assert category in body["agency"]["override"]
    # The rule chose the agency from the category, so that confidence stands behind it.
    assert body["agency"]["confidence"] == body["category"]["confidence"]


def test_region_thresholds_replace_the_models_for_that_region(small_model_dir, tmp_path):
    opds = "opds: {pupr: PU Baru, sosial: Dinsos, lingkungan_hidup: DLH, dukcapil: Dukcapil}\n"
    strict, open_ = classify_in_regions(
        small_model_dir,
        tmp_path,
        {
            "new-region": opds + "thresholds: {agency: 1.0, category: 0.0}\n",
            "open-region": opds + "thresholds: {agency: 0.0}\n",
        },
        [(TEXT, "new-region"), (TEXT, "open-region")],
        # A deployment-wide override loses to a region's own threshold.
        thresholds={"agency": 0.99, "category": 0.99},
    )
    assert strict["decision"]["outcome"] == "needs_review"
    assert "review-only here (threshold 1.00" in strict["decision"]["reasons"][0]
    assert strict["agency"]["confident"] is False
    assert strict["category"]["confident"] is True
    assert open_["decision"]["outcome"] == "auto_route"
    assert open_["agency"]["confident"] is True


def test_region_detail_shows_the_thresholds_it_routes_with(client, auth):
    body = client.get("/v1/regions/kota-surabaya", headers=auth).json()
    model = client.get("/v1/model", headers=auth).json()
    assert body["thresholds"] == model["thresholds"]


@pytest.fixture(scope="module")
def regional_model_dir(save_small_model):
    # Measured on Surabaya only: every other named region is new to this model.
    return save_small_model(
        "regional-test",
        region_thresholds={"kota-surabaya": {"agency": 0.0, "category": 0.5}},
        confidence_calibration_unseen_region={"agency": {"slope": 1.0, "intercept": -2.0}},
    )


def test_a_region_the_model_has_no_history_for_goes_to_review(regional_model_dir, tmp_path, caplog):
    opds = "opds: {pupr: PU Baru, sosial: Dinsos, lingkungan_hidup: DLH, dukcapil: Dukcapil}\n"
    with caplog.at_level("WARNING", logger="salur.service"):
        new, opened, measured, generic = classify_in_regions(
            regional_model_dir,
            tmp_path,
            {"new-region": opds, "opened-region": opds + "thresholds: {agency: 0.0}\n"},
            [(TEXT, "new-region"), (TEXT, "opened-region"), (TEXT, "kota-surabaya"), (TEXT, None)],
        )
    assert new["decision"]["outcome"] == "needs_review"
    assert "review-only here (threshold 1.00" in new["decision"]["reasons"][0]
    # The region file's own threshold is a deliberate choice and wins.
    assert opened["decision"]["outcome"] == "auto_route"
    # Surabaya routes with the threshold measured on its own complaints (0.0 here).
    assert measured["decision"]["outcome"] == "auto_route"
    # A request naming no region may come from a region the model never saw.
    assert generic["region"] == "default" and generic["decision"]["outcome"] == "needs_review"
    assert generic["agency"]["confident"] is False
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "region default: every complaint goes to review" in warned
    assert "names no region" in warned
    assert "region new-region: every complaint goes to review" in warned
    assert "no labelled complaints of this region" in warned
    assert "region kab-bandung: every complaint goes to review" in warned
    assert "opened-region" not in warned and "kota-surabaya" not in warned


def test_region_detail_says_whether_the_model_knows_the_region(regional_model_dir, small_model_dir):
    from fastapi.testclient import TestClient

    headers = {"X-API-Key": "test-key-123"}
    with TestClient(
        create_app(Settings(model_dir=regional_model_dir, api_keys=["test-key-123"]))
    ) as regional:
        bandung = regional.get("/v1/regions/kab-bandung", headers=headers).json()
        surabaya = regional.get("/v1/regions/kota-surabaya", headers=headers).json()
        generic = regional.get("/v1/regions/default", headers=headers).json()
        model = regional.get("/v1/model", headers=headers).json()
        listing = regional.get("/v1/regions", headers=headers).json()
    assert {r["code"]: r["model_has_history"] for r in listing} == {
        "default": False,
        "kab-bandung": False,
        "kota-surabaya": True,
    }
    assert bandung["model_has_history"] is False and bandung["thresholds"]["agency"] == 1.0
    assert model["region_thresholds"] == {"kota-surabaya": {"agency": 0.0, "category": 0.5}}
    assert surabaya["model_has_history"] is True and surabaya["thresholds"]["agency"] == 0.0
    assert generic["model_has_history"] is False and generic["thresholds"]["agency"] == 1.0
    # Where the model has no history, its agency confidence is mapped as for an unseen region.
    assert bandung["heads_calibrated_as_unseen"] == generic["heads_calibrated_as_unseen"]
    assert bandung["heads_calibrated_as_unseen"] == ["agency"]
    assert surabaya["heads_calibrated_as_unseen"] == []
    with TestClient(
        create_app(Settings(model_dir=small_model_dir, api_keys=["test-key-123"]))
    ) as older:
        # A model that did not record its regions cannot say.
        assert (
            older.get("/v1/regions/kab-bandung", headers=headers).json()["model_has_history"]
            is None
        )
        assert older.get("/v1/model", headers=headers).json()["region_thresholds"] is None
        detail = older.get("/v1/regions/kab-bandung", headers=headers).json()
        assert detail["heads_calibrated_as_unseen"] == []


def test_a_model_without_thresholds_starts_and_says_why_nothing_routes(
    save_small_model, tmp_path, caplog
):
    bare = save_small_model("no-thresholds", thresholds={})
    with caplog.at_level("WARNING", logger="salur.service"):
        (answer,) = classify_in_regions(bare, tmp_path, {}, [(TEXT, "kota-surabaya")])
    assert answer["decision"]["outcome"] == "needs_review"
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "model no-thresholds has no threshold for agency, category, urgency, report_type" in (
        warned
    )


def test_a_possible_emergency_goes_to_review_and_heads_the_queue(
    make_client, save_small_model, database_url, auth
):
    from salur.service.storage import QueueFilter, Store

    # Level 0: every complaint raises the alert, so every one not called darurat is held.
    alerting = save_small_model("alerting", emergency_alert={"probability": 0.0})
    client = make_client(model_dir=alerting, thresholds={"agency": 0.0})
    texts = ["rumah terbakar api membesar tolong segera", "mohon info jadwal posyandu bulan ini"]
    answers = [
        client.post("/v1/classify", json={"text": t, "region": "kota-surabaya"}, headers=auth)
        for t in texts
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        decision = response.json()["decision"]
        assert decision["possible_emergency"] is True
        if response.json()["urgency"]["code"] != "darurat":
            assert decision["outcome"] == "needs_review"
            assert any(r.startswith("possible emergency") for r in decision["reasons"])
    queued = Store(database_url).queue(QueueFilter())
    assert queued and all(item.urgency_rank == 0 for item in queued)
    from salur.service.security import hash_password

    from tests.service.test_review import login

    client.app.state.store.add_admin("admin1", hash_password("rahasia-sekali-123"))
    login(client)
    page = client.get("/admin").text
    held = [item for item in queued if item.urgency != "darurat"]
    assert held and page.count("kemungkinan darurat") == len(held)
    assert all(item.possible_emergency for item in queued)
    # Filtering for darurat finds the possible emergencies the model rated lower.
    assert Store(database_url).count(QueueFilter(urgency="darurat")) == len(queued)
    api_item = client.get(f"/v1/review/items/{held[0].id}", headers=auth).json()
    assert api_item["possible_emergency"] is True
    quiet = make_client(thresholds={"agency": 0.0}).post(
        "/v1/classify", json={"text": texts[1], "region": "kota-surabaya"}, headers=auth
    )
    assert quiet.json()["decision"]["possible_emergency"] is False

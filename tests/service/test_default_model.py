"""The bundled model: what a fresh clone serves right after install."""

import httpx
from fastapi.testclient import TestClient
from salur.model.artifact import DEFAULT_MODEL_DIR, read_metadata
from salur.service.app import create_app
from salur.service.launch import start_server
from salur.service.settings import Settings


def test_bundled_model_is_complete():
    meta = read_metadata(DEFAULT_MODEL_DIR)
    assert set(meta["heads"]) == {"agency", "category", "urgency", "report_type"}
    assert (DEFAULT_MODEL_DIR / "MODEL_CARD.md").is_file()
    for key in ("thresholds", "data_hash", "library_versions", "metrics", "labels"):
        assert meta[key]


def test_bundled_model_serves_real_answers():
    with TestClient(create_app(Settings(api_keys=["k"]))) as client:
        assert client.get("/readyz").status_code == 200
        body = client.post(
            "/v1/classify",
            json={
                "text": "kalo ado jalan rusak berlubang di depan sekolah, idak diperbaiki",
                "region": "kota-surabaya",
            },
            headers={"X-API-Key": "k"},
        ).json()
        assert body["agency"]["code"] == "pupr"
        assert body["category"]["code"] == "jalan_jembatan"
        water = client.post(
            "/v1/classify",
            json={"text": "air pdam mati sudah tiga hari di rumah kami", "region": "kota-surabaya"},
            headers={"X-API-Key": "k"},
        ).json()
        assert water["agency"]["code"] == "pdam" and water["category"]["code"] == "air_bersih"


def test_bundled_model_is_less_sure_of_a_complaint_from_a_region_it_never_saw():
    meta = read_metadata(DEFAULT_MODEL_DIR)
    assert set(meta["confidence_calibration_unseen_region"]) == {"agency", "category"}
    text = "jalan rusak berlubang di depan sekolah, sudah dua minggu tidak diperbaiki"
    with TestClient(create_app(Settings(api_keys=["k"]))) as client:

        def answer(**region):
            body = {"text": text, **region}
            return client.post("/v1/classify", json=body, headers={"X-API-Key": "k"}).json()

        surabaya, anywhere = answer(region="kota-surabaya"), answer()
    assert anywhere["agency"]["code"] == surabaya["agency"]["code"] == "pupr"
    # Trained without Kab. Bandung, agency answers given 0.9 were right 68% of
    # the time there: a complaint that may come from such a region says so.
    assert anywhere["agency"]["confidence"] < surabaya["agency"]["confidence"] - 0.05


def test_salur_serve_starts_uvicorn(tmp_path):
    server = start_server({"SALUR_API_KEYS": "k"}, workers=1, cwd=tmp_path)
    try:
        answer = httpx.post(
            f"{server.base_url}/v1/classify",
            json={"text": "lampu pju mati di jalan raya"},
            headers={"X-API-Key": "k"},
        )
        assert answer.status_code == 200 and answer.json()["category"]["code"] == "penerangan_jalan"
    finally:
        server.stop()

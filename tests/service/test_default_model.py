"""The bundled model: what a fresh clone serves right after install."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from salur.model.artifact import DEFAULT_MODEL_DIR, read_metadata
from salur.service.app import create_app
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


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_salur_serve_starts_uvicorn():
    port = _free_port()
    env = {**os.environ, "SALUR_API_KEYS": "k"}
    process = subprocess.Popen(
        [sys.executable, "-m", "salur.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("server not ready within 60 s")
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/classify",
            json={"text": "lampu pju mati di jalan raya"},
            headers={"X-API-Key": "k"},
        )
        assert answer.status_code == 200 and answer.json()["category"]["code"] == "penerangan_jalan"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)

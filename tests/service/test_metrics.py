"""/metrics speaks for every worker, not for whichever one answers the scrape."""

import re

import httpx
from salur.service.launch import start_server

KEY = "metrics-key"


def classify_requests_counted(exposition: str) -> float:
    pattern = r'salur_requests_total\{[^}]*route="/v1/classify"[^}]*status="200"[^}]*\} (\S+)'
    return sum(float(value) for value in re.findall(pattern, exposition))


def test_two_workers_report_one_sum(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/metrics.db",
        "SALUR_API_KEYS": KEY,
        "SALUR_LOG_LEVEL": "warning",
        "SALUR_RATE_LIMIT": "1000000/minute",
    }
    server = start_server(env, workers=2, cwd=tmp_path)
    try:
        sent = 40
        # A fresh connection per request, so the kernel spreads them over both workers.
        for n in range(sent):
            response = httpx.post(
                f"{server.base_url}/v1/classify",
                headers={"X-API-Key": KEY},
                json={"text": f"lampu jalan mati nomor {n}", "region": "kota-surabaya"},
                timeout=10,
            )
            assert response.status_code == 200
        scrapes = [
            httpx.get(f"{server.base_url}/metrics", headers={"X-API-Key": KEY}, timeout=10).text
            for _ in range(6)
        ]
    finally:
        server.stop()
    # Each worker alone would have counted only its share of the 40.
    assert [classify_requests_counted(text) for text in scrapes] == [sent] * len(scrapes)
    assert all(re.search(r"^salur_model_loaded(\{[^}]*\})? 1\.0$", s, re.M) for s in scrapes)


def test_the_shared_folder_starts_empty_and_a_temporary_one_is_removed(tmp_path, monkeypatch):
    import os
    from pathlib import Path

    from salur.service.metrics import MULTIPROCESS_ENV
    from salur.service.server import _shared_metrics

    monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
    with _shared_metrics():
        made = Path(os.environ[MULTIPROCESS_ENV])
        assert made.is_dir() and not any(made.iterdir())
    assert not made.exists() and MULTIPROCESS_ENV not in os.environ

    # An operator's folder: values of an earlier run are dropped, the folder stays.
    own = tmp_path / "prom"
    own.mkdir()
    (own / "counter_123.db").write_bytes(b"stale")
    monkeypatch.setenv(MULTIPROCESS_ENV, str(own))
    with _shared_metrics():
        assert not any(own.glob("*.db"))
    assert own.is_dir() and os.environ[MULTIPROCESS_ENV] == str(own)


def test_the_served_process_writes_access_lines_without_text_or_pii(tmp_path):
    log_path = tmp_path / "server.log"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/log.db",
        "SALUR_API_KEYS": KEY,
        "SALUR_LOG_LEVEL": "info",
        "SALUR_THRESHOLDS": '{"agency": 1.0}',
    }
    server = start_server(env, workers=1, cwd=tmp_path, log_path=log_path)
    secret = "nama saya Budi Santoso NIK 3273011234567890 hp 081234567890 jalan rusak"
    try:
        answer = httpx.post(
            f"{server.base_url}/v1/classify",
            headers={"X-API-Key": KEY},
            json={"text": secret, "region": "kota-surabaya"},
            timeout=10,
        )
        assert answer.status_code == 200
        # Arbitrary method tokens are counted as one label value, not one each.
        for n in range(5):
            httpx.request(f"X{n}", f"{server.base_url}/healthz", timeout=10)
        exposition = httpx.get(
            f"{server.base_url}/metrics", headers={"X-API-Key": KEY}, timeout=10
        ).text
    finally:
        server.stop()
    logged = log_path.read_text()
    assert f"request_id={answer.json()['request_id']}" in logged
    assert "route=/v1/classify status=200" in logged
    for leaked in ("Budi", "Santoso", "3273011234567890", "081234567890", "jalan rusak"):
        assert leaked not in logged
    assert 'method="other"' in exposition and 'method="X1"' not in exposition


def test_workers_started_later_load_the_model_the_server_started_with(tmp_path, monkeypatch):
    # A worker replaced after `salur promote` must not load the new version
    # while its siblings serve the old one: the server pins the folder once.
    from salur.service import server

    models = tmp_path / "models"
    for version in ("old", "new"):
        (models / version).mkdir(parents=True)
    (models / "PROMOTED").write_text("old\n")
    monkeypatch.setenv("SALUR_MODELS_ROOT", str(models))
    # Set, then removed: monkeypatch then also removes what pin_model_dir sets,
    # which would otherwise leak into every later test and its subprocesses.
    monkeypatch.setenv("SALUR_MODEL_DIR", "unset")
    monkeypatch.delenv("SALUR_MODEL_DIR")
    server.pin_model_dir()
    (models / "PROMOTED").write_text("new\n")
    assert server.Settings().model_dir.resolve() == (models / "old").resolve()

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

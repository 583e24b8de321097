"""kill -9 in the middle of a burst loses no complaint that was answered with 200."""

import threading
import time

import httpx
import pytest
from salur.service.launch import start_server
from salur.service.storage import Store

KEY = "crash-key"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/crash.db"
    return request.getfixturevalue("postgres_url")


def test_kill_minus_nine_loses_no_answered_record(database_url, tmp_path):
    store = Store(database_url)
    store.ensure_schema()
    before = set(store.request_ids())
    env = {
        "DATABASE_URL": database_url,
        "SALUR_API_KEYS": KEY,
        "SALUR_THRESHOLDS": '{"agency": 1.01}',
        "SALUR_LOG_LEVEL": "warning",
        "SALUR_RATE_LIMIT": "1000000/minute",
    }
    server = start_server(env, workers=2, cwd=tmp_path)
    answered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def burst(worker: int) -> None:
        with httpx.Client(
            base_url=server.base_url, headers={"X-API-Key": KEY}, timeout=10
        ) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    response = client.post(
                        "/v1/classify",
                        json={
                            "text": f"jalan rusak nomor {worker}-{n} mohon diperbaiki",
                            "region": "kota-surabaya",
                        },
                    )
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    with lock:
                        answered.append(response.json()["request_id"])

    threads = [threading.Thread(target=burst, args=(i,)) for i in range(8)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while len(answered) < 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.stop(kill=True)  # SIGKILL to the server and all its workers, mid-burst
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        server.stop(kill=True)

    stored = set(Store(database_url).request_ids()) - before
    missing = set(answered) - stored
    assert len(answered) >= 150
    assert not missing, f"{len(missing)} answered complaints were lost"

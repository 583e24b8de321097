"""kill -9 in the middle of a burst loses no complaint that was answered with 200."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from salur.service.storage import Store

KEY = "crash-key"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/crash.db"
    return request.getfixturevalue("postgres_url")


def test_kill_minus_nine_loses_no_answered_record(database_url, tmp_path):
    store = Store(database_url)
    store.ensure_schema()
    before = set(store.request_ids())
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SALUR_API_KEYS": KEY,
        "SALUR_THRESHOLDS": '{"agency": 1.01}',
        "SALUR_LOG_LEVEL": "warning",
        "SALUR_RATE_LIMIT": "1000000/minute",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "salur.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("server not ready")

        answered: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def burst(worker: int) -> None:
            with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=10) as client:
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
        for thread in threads:
            thread.start()
        while len(answered) < 150:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # the server and all its workers, mid-burst
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)

    stored = set(Store(database_url).request_ids()) - before
    missing = set(answered) - stored
    assert len(answered) >= 150
    assert not missing, f"{len(missing)} answered complaints were lost"

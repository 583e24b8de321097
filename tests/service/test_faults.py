"""Faults: the database goes away and comes back; the model folder is missing."""

import contextlib
import logging
import socket
import threading

import pytest
from salur.service.storage import Store

TEXT = "Jalan rusak berlubang parah di depan sekolah, sudah dua minggu tidak diperbaiki"


class FlakyProxy:
    """A TCP proxy to PostgreSQL that the test can cut and restore."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for sock in self.connections:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass
            self.connections.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxy(postgres_url):
    proxy = FlakyProxy()
    yield proxy, postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    proxy.close()


def test_database_outage_is_503_and_recovers_by_itself(make_client, auth, proxy):
    flaky, url = proxy
    client = make_client(thresholds={"agency": 1.01}, database_url=url + "?connect_timeout=2")
    assert client.post("/v1/classify", json={"text": TEXT}, headers=auth).status_code == 200
    flaky.cut()
    down = client.post("/v1/classify", json={"text": TEXT}, headers=auth)
    assert down.status_code == 503
    assert "review queue unavailable" in down.json()["detail"] and "retry" in down.json()["detail"]
    assert client.get("/v1/review/queue", headers=auth).status_code == 503
    flaky.restore()
    back = client.post("/v1/classify", json={"text": TEXT}, headers=auth)
    assert back.status_code == 200
    stored = set(Store(url).request_ids())  # the database is shared with other tests
    assert back.json()["request_id"] in stored
    assert down.json()["request_id"] not in stored


def test_missing_model_folder_means_not_ready_with_a_clear_log(make_client, tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="salur.service")
    client = make_client(model_dir=tmp_path / "no-such-model")
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "does not exist" in ready.json()["detail"]
    assert any(
        "model not loaded" in r.getMessage() and "no-such-model" in r.getMessage()
        for r in caplog.records
    )
    assert client.get("/healthz").status_code == 200

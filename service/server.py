"""Run the API under uvicorn, one process per worker.

With several workers every process binds its own TCP listening socket with
SO_REUSEPORT, so the kernel spreads new connections evenly over them. (With
uvicorn's shared socket, whichever worker wakes first accepts most keep-alive
connections — measured 85% / 20% CPU on two workers — and the socket lacks
the TCP protocol number, see ``_reuseport_socket``.)
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import FrameType

import uvicorn
from prometheus_client import multiprocess
from salur.service.metrics import MULTIPROCESS_ENV
from salur.service.settings import Settings

APP = "salur.service.app:create_app"
MODEL_DIR_ENV = "SALUR_MODEL_DIR"


def _reuseport_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted
    # sockets whose proto says TCP. With proto 0 (what uvicorn's own multi-worker
    # socket has) every keep-alive response waits ~40 ms for a delayed ACK
    # (Nagle): measured 360 requests/s instead of thousands for a trivial route.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int, log_level: str) -> None:
    sock = _reuseport_socket(host, port)
    config = uvicorn.Config(APP, factory=True, log_level=log_level, proxy_headers=False)
    uvicorn.Server(config).run(sockets=[sock])


@contextmanager
def _shared_metrics() -> Iterator[None]:
    """A folder where every worker writes its metrics, empty at start.

    Set before the workers start, which import prometheus_client afresh
    (spawned processes) and so write their values there. An operator's own
    ``PROMETHEUS_MULTIPROC_DIR`` is used and emptied; otherwise a temporary
    folder is made and removed at shutdown.
    """
    chosen = os.environ.get(MULTIPROCESS_ENV)
    folder = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="salur-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    # Values left by an earlier run would be added to this one's.
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_ENV] = str(folder)
    try:
        yield
    finally:
        if not chosen:
            shutil.rmtree(folder, ignore_errors=True)
            os.environ.pop(MULTIPROCESS_ENV, None)


def pin_model_dir() -> None:
    """Make every worker, replacements included, load the model the server started with.

    Without a SALUR_MODEL_DIR a worker reads models/PROMOTED when it starts; a
    worker replaced after a `salur promote` would load the new version while
    the others still serve the old one, and one complaint would get two answers.
    """
    if not os.environ.get(MODEL_DIR_ENV):
        os.environ[MODEL_DIR_ENV] = str(Settings().model_dir.resolve())


def serve(host: str, port: int, workers: int, log_level: str) -> None:
    pin_model_dir()
    # Several workers, or one that an operator pointed at a shared metrics
    # folder, need that folder (empty at start); a lone plain worker does not.
    shared = workers > 1 or bool(os.environ.get(MULTIPROCESS_ENV))
    with _shared_metrics() if shared else nullcontext():
        _serve_workers(host, port, workers, log_level)


def _serve_workers(host: str, port: int, workers: int, log_level: str) -> None:
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(
            APP,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            proxy_headers=False,
        )
        return
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker, args=(host, port, log_level), name=f"salur-worker-{i}")
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive() and process.pid:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    restarts: list[float] = []
    while not stopping:
        for index, process in enumerate(processes):
            if not process.is_alive() and not stopping:
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < 60] + [now]
                if len(restarts) > 5 * workers:
                    # Workers die as fast as they start (port taken, model
                    # unreadable...): stop instead of spinning.
                    stop(signal.SIGTERM, None)
                    raise SystemExit("salur serve: workers keep exiting at start; giving up")
                if process.pid:
                    # Its live gauges (model loaded) no longer speak for anyone.
                    multiprocess.mark_process_dead(process.pid)
                # A crashed worker is replaced, as uvicorn's supervisor would.
                replacement = context.Process(
                    target=_worker, args=(host, port, log_level), name=process.name
                )
                replacement.start()
                processes[index] = replacement
        time.sleep(0.5)
    for process in processes:
        process.join(timeout=20)

"""Start `salur serve` as a child process and wait until it is ready.

For scripts that drive a real server on this machine: benchmarks, load and
crash tests, and operators' smoke checks.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    seconds_to_ready: float

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (or SIGKILL) to the server and all its workers."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_server(
    env: dict[str, str],
    workers: int = 1,
    cwd: Path | None = None,
    timeout: float = 60.0,
    log_path: Path | None = None,
) -> RunningServer:
    """`salur serve` on a free loopback port; raises RuntimeError if not ready in time.

    With ``log_path`` the server's stderr (its logs) goes to that file.
    """
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
        [
            sys.executable,
            "-m",
            "salur.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=log_path.open("ab") if log_path else subprocess.DEVNULL,
        start_new_session=True,
    )
    server = RunningServer(process, f"http://127.0.0.1:{port}", 0.0)
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(f"{server.base_url}/readyz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    server.seconds_to_ready = time.perf_counter() - started
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if process.poll() is not None:
            break
        time.sleep(0.05)
    server.stop(kill=True)
    raise RuntimeError(f"salur serve was not ready within {timeout:.0f} s")

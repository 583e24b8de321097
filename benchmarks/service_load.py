"""Start the real server on 127.0.0.1 and measure it (bounded run, loopback only).

    python benchmarks/service_load.py --requests 2000 --concurrency 16

Prints: cold start to ready, single-request latency p50/p99 (sequential, one
typical complaint), throughput with 1 and 2 workers (wrk when installed —
`apt-get install wrk` — else a Python client, which itself eats a core and
understates throughput), and resident memory per worker (RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import httpx
from salur.service.launch import RunningServer, start_server

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key"
TYPICAL = (
    "Selamat siang admin, mohon bantuannya jalan di depan gang masjid rusak parah dan "
    "berlubang besar, kalau hujan tergenang dan sudah ada pengendara motor yang jatuh. "
    "Sudah dua minggu tidak ada perbaikan. Terima kasih."
)


def start(workers: int) -> RunningServer:
    env = {
        "SALUR_API_KEYS": KEY,
        "SALUR_LOG_LEVEL": "warning",
        "SALUR_RATE_LIMIT": "1000000/minute",
    }
    return start_server(env, workers=workers)


def worker_rss_mb(process: subprocess.Popen[bytes]) -> list[float]:
    pids = [process.pid]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    sizes = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        rss_kb = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
        sizes.append(rss_kb / 1024)
    # With one worker uvicorn serves in the parent; with several, the parent only supervises.
    return sizes if len(sizes) == 1 else sizes[1:]


def sequential_latency(base: str, n: int) -> list[float]:
    samples = []
    with httpx.Client(base_url=base, headers={"X-API-Key": KEY}) as client:
        for _ in range(20):
            client.post("/v1/classify", json={"text": TYPICAL, "region": "kota-surabaya"})
        for _ in range(n):
            start = time.perf_counter()
            response = client.post(
                "/v1/classify", json={"text": TYPICAL, "region": "kota-surabaya"}
            )
            samples.append(time.perf_counter() - start)
            response.raise_for_status()
    return samples


async def throughput(base: str, total: int, concurrency: int) -> tuple[float, int]:
    errors = 0
    counter = iter(range(total))

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for _ in counter:
            response = await client.post(
                "/v1/classify", json={"text": TYPICAL, "region": "kota-surabaya"}
            )
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers={"X-API-Key": KEY}, limits=limits, timeout=30
    ) as client:
        start = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return total / elapsed, errors


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "{key}"
"""


def wrk_throughput(base: str, seconds: int, connections: int) -> tuple[float, str]:
    """Requests/s from wrk (a C load generator), which leaves the cores to the server."""
    import json
    import re
    import tempfile

    body = json.dumps({"text": TYPICAL, "region": "kota-surabaya"}).replace("'", "\\'")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(WRK_SCRIPT.replace("{body}", body).replace("{key}", KEY))
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            handle.name,
            "--latency",
            f"{base}/v1/classify",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    Path(handle.name).unlink()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, errors.group(1) if errors else "0"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--latency-requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    cold = []
    for _ in range(args.starts):
        server = start(1)
        cold.append(server.seconds_to_ready)
        server.stop()
    print(
        f"cold start to ready (1 worker): median {statistics.median(cold):.2f} s over {len(cold)} starts"
    )

    rates = {}
    for workers in (1, 2):
        server = start(workers)
        base = server.base_url
        try:
            if workers == 1:
                latency = sequential_latency(base, args.latency_requests)
                print(
                    f"single request latency: p50 {percentile(latency, 0.5) * 1000:.1f} ms, "
                    f"p99 {percentile(latency, 0.99) * 1000:.1f} ms over {len(latency)} sequential requests"
                )
            asyncio.run(throughput(base, 200, args.concurrency))  # warm every worker
            if shutil.which("wrk"):
                runs = [wrk_throughput(base, args.seconds, args.concurrency) for _ in range(3)]
                tool = f"wrk, 3 runs of {args.seconds} s"
            else:
                runs = [
                    asyncio.run(throughput(base, args.requests, args.concurrency)) for _ in range(3)
                ]
                tool = f"httpx, 3 runs of {args.requests} requests"
            rate = statistics.median(r[0] for r in runs)
            rates[workers] = rate
            errors = ", ".join(str(r[1]) for r in runs)
            rss = sorted(worker_rss_mb(server.process))[-workers:]
            print(
                f"{workers} worker(s): median {rate:.0f} requests/s ({tool}, {args.concurrency} "
                f"connections, non-2xx {errors}); RSS per worker "
                + ", ".join(f"{mb:.0f} MB" for mb in rss)
            )
        finally:
            server.stop()
    print(f"ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()

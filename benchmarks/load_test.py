"""Bounded steady-rate load test of the real server (127.0.0.1 only; stops by itself).

    python benchmarks/load_test.py --duration 300 --rate 100 --database sqlite
    python benchmarks/load_test.py --duration 300 --rate 100 --database postgresql

Starts `salur serve --workers 2` with a fresh database, then sends an open-loop
steady stream of real complaints: 90% single classify calls, 10% batch calls of
10 complaints, plus review writes (an admin accepting a pending item via
/v1/review) at 5% of the rate. Prints error rate, p50/p99 latency and throughput
per 30-second window, and afterwards checks that every answered `needs_review`
complaint is stored exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from salur.service.launch import start_server
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
KEY = "load-key"


@dataclass
class Result:
    started: float
    kind: str
    status: int
    latency: float
    review_ids: list[str] = field(default_factory=list)


def complaints(n: int) -> list[dict[str, str]]:
    from salur.training.sources import load_all

    frame = load_all(ROOT / "datasets" / "raw", ["surabaya", "bandung"]).sample(n=n, random_state=1)
    regions = {"surabaya": "kota-surabaya", "bandung": "kab-bandung"}
    return [
        {
            "text": t[:5000],
            "title": ti,
            "region": regions[s],
            "channel": random.choice(["web", "sms", "app"]),
        }
        for t, ti, s in zip(frame["text"], frame["title"], frame["source"], strict=True)
    ]


def postgres_database() -> str:
    admin_url = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    name = f"salur_load_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def run_load(
    base: str, duration: float, rate: float, pool: list[dict[str, str]]
) -> list[Result]:
    results: list[Result] = []
    pending_ids: list[int] = []
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(
        base_url=base, headers={"X-API-Key": KEY}, timeout=30, limits=limits
    ) as client:

        async def one(kind: str) -> None:
            start = time.perf_counter()
            try:
                if kind == "single":
                    response = await client.post("/v1/classify", json=random.choice(pool))
                    body = response.json() if response.status_code == 200 else {}
                    ids = (
                        [body["request_id"]]
                        if body and body["decision"]["outcome"] == "needs_review"
                        else []
                    )
                elif kind == "batch":
                    response = await client.post(
                        "/v1/classify/batch", json={"items": random.sample(pool, 10)}
                    )
                    body = response.json() if response.status_code == 200 else {"items": []}
                    ids = [
                        item["result"]["request_id"]
                        for item in body["items"]
                        if item["ok"] and item["result"]["decision"]["outcome"] == "needs_review"
                    ]
                else:
                    if not pending_ids:
                        queue = await client.get("/v1/review/queue", params={"limit": 100})
                        pending_ids.extend(item["id"] for item in queue.json()["items"])
                    if not pending_ids:
                        return
                    item_id = pending_ids.pop()
                    response = await client.post(
                        f"/v1/review/items/{item_id}",
                        json={"action": "accepted", "reviewer": "load-test"},
                    )
                    ids = []
                    if response.status_code == 422:  # already reviewed by an earlier write
                        return
                results.append(
                    Result(start, kind, response.status_code, time.perf_counter() - start, ids)
                )
            except httpx.HTTPError:
                results.append(Result(start, kind, 0, time.perf_counter() - start))

        tasks = []
        begin = time.perf_counter()
        sent = 0
        next_progress = begin + 30
        while (now := time.perf_counter()) - begin < duration:
            if now >= next_progress:
                in_flight = sum(1 for t in tasks if not t.done())
                print(
                    f"  {now - begin:5.0f} s: {len(results)} answered, {in_flight} in flight",
                    file=sys.stderr,
                    flush=True,
                )
                next_progress += 30
            due = int((now - begin) * rate)
            while sent < due:
                roll = random.random()
                kind = "batch" if roll < 0.10 else "single"
                tasks.append(asyncio.create_task(one(kind)))
                if random.random() < 0.05:
                    tasks.append(asyncio.create_task(one("review")))
                sent += 1
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
    for r in results:
        r.started -= begin
    return results


def report(results: list[Result], window: float = 30.0) -> None:
    last = max(r.started for r in results)
    print(
        f"{'window':>10s} {'requests':>9s} {'req/s':>7s} {'errors':>7s} {'p50 ms':>8s} {'p99 ms':>8s}"
    )
    start = 0.0
    while start <= last:
        chunk = [r for r in results if start <= r.started < start + window]
        if chunk:
            lat = sorted(r.latency for r in chunk)
            errors = sum(1 for r in chunk if r.status != 200)
            print(
                f"{start:5.0f}-{start + window:<4.0f} {len(chunk):9d} {len(chunk) / window:7.1f} "
                f"{errors / len(chunk):7.2%} {lat[len(lat) // 2] * 1000:8.1f} "
                f"{lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000:8.1f}"
            )
        start += window
    for kind in ("single", "batch", "review"):
        chunk = [r for r in results if r.kind == kind]
        if chunk:
            lat = [r.latency for r in chunk]
            errors = sum(1 for r in chunk if r.status != 200)
            print(
                f"{kind:>7s}: {len(chunk)} calls, error rate {errors / len(chunk):.2%}, "
                f"p50 {statistics.median(lat) * 1000:.1f} ms, "
                f"p99 {sorted(lat)[int(0.99 * (len(lat) - 1))] * 1000:.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument(
        "--rate", type=float, default=100, help="calls per second (batch calls count once)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    random.seed(0)

    workdir = Path(tempfile.mkdtemp(prefix="salur-load-"))
    url = f"sqlite:///{workdir}/load.db" if args.database == "sqlite" else postgres_database()
    env = {
        "DATABASE_URL": url,
        "SALUR_API_KEYS": KEY,
        "SALUR_LOG_LEVEL": "warning",
        "SALUR_RATE_LIMIT": "1000000/minute",
    }
    server = start_server(env, workers=args.workers, cwd=workdir)
    base = server.base_url
    try:
        pool = complaints(2000)
        print(
            f"load: {args.duration:.0f} s at {args.rate:.0f} calls/s, {args.workers} workers, {args.database}"
        )
        results = asyncio.run(run_load(base, args.duration, args.rate, pool))
    finally:
        server.stop()
    report(results)

    answered = [rid for r in results if r.status == 200 for rid in r.review_ids]
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT request_id, COUNT(*) FROM complaints GROUP BY request_id")
        ).all()
    stored = dict(rows)
    missing = [rid for rid in answered if rid not in stored]
    duplicated = [rid for rid, count in stored.items() if count != 1]
    print(
        f"needs_review answered: {len(answered)}; stored: {len(stored)}; "
        f"missing: {len(missing)}; stored more than once: {len(duplicated)}"
    )
    if missing or duplicated:
        sys.exit(1)


if __name__ == "__main__":
    main()

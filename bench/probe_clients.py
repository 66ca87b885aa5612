"""HTTP client benchmark for the monitoring probes: requests/s and CPU per 1,000 requests.

Run with ``.venv/bin/python bench/probe_clients.py``. An HttpTarget (tests/monitoring/targets.py)
serves a small page from a separate process, so the client's CPU is measured alone; then
``--requests`` GETs are made with ``--concurrency`` in flight by

* ``aiohttp``: one shared ``ClientSession``, as the probes use it;
* ``run_probes``: the probes themselves (policy-checking resolver, validation, results);
* ``httpx``: one ``httpx.AsyncClient``, only if httpx is importable (it is not a dependency).

Each client gets one warm-up round, then ``--rounds`` measured rounds; the median is reported.
CPU is this process's user + system time (all threads). The last line printed is one JSON
object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")

import aiohttp  # noqa: E402
import django  # noqa: E402

django.setup()

from monitoring.probes import ProbeSpec, run_probes  # noqa: E402
from msp_portal.core.netguard import AddressPolicy  # noqa: E402

# httpx logs every request at INFO, which the settings' root logger would print: not measured.
logging.getLogger("httpx").setLevel(logging.WARNING)

Runner = Callable[[str, int, int], Awaitable[int]]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _spread(count: int, concurrency: int, one: Callable[[], Awaitable[bool]]) -> int:
    """Make ``count`` calls with ``concurrency`` workers; the number that succeeded."""
    remaining = count
    ok = 0

    async def worker() -> None:
        nonlocal remaining, ok
        while remaining > 0:
            remaining -= 1
            succeeded = await one()  # not "ok += await": ok would be read before the await
            ok += succeeded

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok


async def with_aiohttp(url: str, count: int, concurrency: int) -> int:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> bool:
            async with session.get(url) as response:
                await response.read()
                return response.status == 200

        return await _spread(count, concurrency, one)


async def with_httpx(url: str, count: int, concurrency: int) -> int:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def one() -> bool:
            response = await client.get(url)
            return response.status_code == 200

        return await _spread(count, concurrency, one)


async def with_run_probes(url: str, count: int, concurrency: int) -> int:
    specs = [ProbeSpec(i, "http", {"url": url}, 10.0) for i in range(count)]
    policy = AddressPolicy(["127.0.0.0/8"])
    results = await run_probes(specs, concurrency=concurrency, policy=policy)
    return sum(r.outcome == "success" for r in results)


def measure(runner: Runner, url: str, count: int, concurrency: int, rounds: int) -> dict:
    asyncio.run(runner(url, min(count, concurrency * 2), concurrency))  # warm-up
    rates, cpus = [], []
    for _ in range(rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        ok = asyncio.run(runner(url, count, concurrency))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if ok != count:
            raise SystemExit(f"{runner.__name__}: only {ok} of {count} requests succeeded")
        rates.append(count / wall)
        cpus.append(cpu / count * 1000)
    return {
        "requests_per_s": round(statistics.median(rates)),
        "cpu_s_per_1000": round(statistics.median(cpus), 3),
    }


def server_cpu_seconds(pid: int) -> float:
    """User + system seconds of the server process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.monitoring.targets", "http"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}/"
        log(f"target {url} (pid {server.pid})")
        runners: dict[str, Runner] = {"aiohttp": with_aiohttp, "run_probes": with_run_probes}
        try:
            import httpx  # noqa: F401

            runners["httpx"] = with_httpx
        except ImportError:
            log("httpx is not installed: skipped")
        figures: dict = {
            "requests": args.requests,
            "concurrency": args.concurrency,
            "cpus": os.cpu_count(),
        }
        for name, runner in runners.items():
            before = server_cpu_seconds(server.pid)
            figures[name] = measure(runner, url, args.requests, args.concurrency, args.rounds)
            served = args.requests * args.rounds + min(args.requests, args.concurrency * 2)
            figures[name]["server_cpu_s_per_1000"] = round(
                (server_cpu_seconds(server.pid) - before) / served * 1000, 3
            )
            log(f"{name}: {figures[name]}")
        figures.setdefault("httpx", None)
    finally:
        server.stdin.close()
        server.wait(10)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Load test of the HTTP service on loopback: ``python benchmarks/load_service.py``.

Starts `wfm serve` (its own process group, a temporary job store), then N concurrent clients
(httpx, asyncio) each submit their share of the jobs (a tiny instance, 1 s time limit, one CP-SAT
worker) and poll each job's status until it ends. Every job must be accounted for: all end
succeeded, and the job list holds exactly the submitted ids. Reports p50/p95 latencies of submits
and status reads and the throughput, and writes them into benchmarks/RESULTS.md between the
``<!-- section:service -->`` markers (only that section is replaced).

Bounded: a fixed number of jobs, a deadline for the whole run, loopback only; the server is
stopped at the end whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import write_section  # noqa: E402
from service.examples import TINY_INSTANCE  # noqa: E402

FINISHED = {"succeeded", "failed", "cancelled"}


@dataclass
class Measures:
    submit_s: list[float] = field(default_factory=list)
    status_s: list[float] = field(default_factory=list)
    submit_errors: list[str] = field(default_factory=list)
    final: dict[str, dict[str, Any]] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, workers: int, jobs: int, log: Path) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).with_name("wfm")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from optimizer.cli import app; app()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFM_")}
    env.update(WFM_MAX_QUEUED_JOBS=str(jobs + 10), WFM_POLL_S="0.1", WFM_LOG_LEVEL="warning")
    with open(log, "ab") as out:
        return subprocess.Popen([*command, "serve", "--port", str(port), "--workers", str(workers), "--db", str(db)],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)


def wait_healthy(url: str, proc: subprocess.Popen[bytes], workers: int, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("wfm serve exited during start-up")
        try:
            health = httpx.get(f"{url}/v1/health", timeout=2).json()
            if health["workers"]["alive"] == workers:
                return dict(health)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("wfm serve did not become healthy")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


async def client_task(client: httpx.AsyncClient, jobs: list[int], time_limit_s: float, poll_s: float,
                      measures: Measures, deadline: float) -> None:
    ids = []
    for index in jobs:
        body = {"instance": TINY_INSTANCE, "settings": {"time_limit_s": time_limit_s, "workers": 1, "seed": index}}
        started = time.perf_counter()
        response = await client.post("/v1/jobs", json=body, headers={"Idempotency-Key": f"load-{index}"})
        measures.submit_s.append(time.perf_counter() - started)
        if response.status_code != 202:
            measures.submit_errors.append(f"job {index}: {response.status_code} {response.text[:200]}")
            continue
        ids.append(response.json()["id"])
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for job_id in sorted(pending):
            started = time.perf_counter()
            response = await client.get(f"/v1/jobs/{job_id}")
            measures.status_s.append(time.perf_counter() - started)
            job = response.json()
            if job["status"] in FINISHED:
                measures.final[job_id] = job
                pending.discard(job_id)
        await asyncio.sleep(poll_s)


async def run_load(url: str, jobs: int, clients: int, time_limit_s: float, poll_s: float, deadline_s: float
                   ) -> tuple[Measures, float]:
    measures = Measures()
    shares = [list(range(c, jobs, clients)) for c in range(clients)]
    deadline = time.monotonic() + deadline_s
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_task(client, share, time_limit_s, poll_s, measures, deadline)
                               for share in shares))
        elapsed = time.perf_counter() - started
    return measures, elapsed


def listed_ids(url: str) -> set[str]:
    ids: set[str] = set()
    cursor = None
    with httpx.Client(base_url=url, timeout=30) as client:
        while True:
            params: dict[str, Any] = {"limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/v1/jobs", params=params).json()
            ids |= {j["id"] for j in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                return ids


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(args: argparse.Namespace, measures: Measures, elapsed: float, listed: set[str]) -> tuple[str, bool]:
    statuses: dict[str, int] = {}
    for job in measures.final.values():
        statuses[job["status"]] = statuses.get(job["status"], 0) + 1
    succeeded = statuses.get("succeeded", 0)
    accounted = (succeeded == args.jobs and not measures.submit_errors and listed == set(measures.final))
    solve_s = [j["result"]["wall_time_s"] for j in measures.final.values() if j.get("result")]
    attempts = sorted({j["attempts"] for j in measures.final.values()})
    ms = 1000.0
    rows = [
        ("jobs submitted / succeeded", f"{args.jobs} / {succeeded}"
         + "".join(f", {n} {s}" for s, n in sorted(statuses.items()) if s != "succeeded")),
        ("every job accounted for", "yes" if accounted else "**no**"),
        ("submit latency p50 / p95", f"{pct(measures.submit_s, 50) * ms:.1f} / {pct(measures.submit_s, 95) * ms:.1f} ms"),
        ("status latency p50 / p95", f"{pct(measures.status_s, 50) * ms:.1f} / {pct(measures.status_s, 95) * ms:.1f} ms"),
        ("status reads", f"{len(measures.status_s)}"),
        ("wall time, first submit to last job done", f"{elapsed:.1f} s"),
        ("throughput", f"{args.jobs / elapsed * 60:.0f} jobs/min"),
        ("solve wall time per job, median", f"{statistics.median(solve_s):.2f} s" if solve_s else "-"),
        ("attempts per job", ", ".join(map(str, attempts)) or "-"),
    ]
    table = "| measure | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    today = dt.date.today().isoformat()
    body = (
        f"_Generated by `python benchmarks/load_service.py` on {today} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}); edit the script, "
        f"not this text._\n\n"
        f"`wfm serve --workers {args.workers}` on loopback with a fresh SQLite store; {args.clients} concurrent "
        f"clients (httpx, asyncio) submit {args.jobs} jobs between them (the tiny example instance of "
        f"`service/examples.py`: one day, 3 agents; {args.time_limit:g} s time limit, one CP-SAT worker), each "
        f"client its share back to back, then polls its jobs every {args.poll:g} s until they end. Latencies are "
        f"client-side round trips.\n\n{table}\n"
    )
    if measures.submit_errors:
        body += "\nSubmit errors:\n\n" + "\n".join(f"- {e}" for e in measures.submit_errors[:10]) + "\n"
    return body, accounted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="Solver worker processes of the server.")
    parser.add_argument("--time-limit", type=float, default=1.0)
    parser.add_argument("--poll", type=float, default=0.5, help="Seconds between a client's status sweeps.")
    parser.add_argument("--deadline", type=float, default=900.0, help="Give up after this many seconds.")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="Print the table only.")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="wfm-load-") as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        proc = start_server(Path(tmp) / "jobs.db", port, args.workers, args.jobs, log)
        try:
            wait_healthy(url, proc, args.workers)
            measures, elapsed = asyncio.run(run_load(url, args.jobs, args.clients, args.time_limit, args.poll,
                                                     args.deadline))
            listed = listed_ids(url)
        except Exception:
            print(log.read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            stop_server(proc)
    body, accounted = report(args, measures, elapsed, listed)
    print(body)
    if not args.no_write:
        write_section(args.results, "service", body, title="HTTP service")
        print(f"written to {args.results} (section service)")
    return 0 if accounted else 1


if __name__ == "__main__":
    sys.exit(main())

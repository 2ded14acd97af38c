"""End to end: a real `wfm serve` (uvicorn, SQLite store, spawned solver processes) on a free
loopback port. Solve the demo, follow its event stream, validate the schedule; SIGKILL the whole
process group mid-solve, restart on the same store, and find every job intact and finished; kill
one solver process and see the pool re-queue its job and replace it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from optimizer.domain.instance import parse_instance
from optimizer.domain.schedule import SolveResult
from optimizer.validate import validate
from service.examples import TINY_INSTANCE

ROOT = Path(__file__).resolve().parents[1]
DEMO = json.loads((ROOT / "instances" / "demo-small.json").read_text())
FINISHED = {"succeeded", "failed", "cancelled"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wfm_command() -> list[str]:
    script = Path(sys.executable).with_name("wfm")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from optimizer.cli import app; app()"]


class Server:
    """`wfm serve` in its own process group (so that SIGKILL reaches the solver processes too)."""

    def __init__(self, db: Path, log: Path, workers: int = 1) -> None:
        self.db, self.log, self.workers = db, log, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WFM_")}
        env.update(WFM_POLL_S="0.1", WFM_CANCEL_POLL_S="0.1", WFM_PROGRESS_INTERVAL_S="0.2",
                   WFM_SSE_POLL_S="0.1", WFM_LOG_LEVEL="info")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [*wfm_command(), "serve", "--port", str(self.port), "--workers", str(self.workers),
                 "--db", str(self.db)],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, f"wfm serve exited:\n{self.log.read_text()[-3000:]}"
            try:
                health = httpx.get(f"{self.url}/v1/health", timeout=2).json()
                if health["workers"]["alive"] == self.workers:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"wfm serve did not start:\n{self.log.read_text()[-3000:]}"
            time.sleep(0.2)

    def group(self) -> list[psutil.Process]:
        assert self.proc is not None
        parent = psutil.Process(self.proc.pid)
        return [parent, *parent.children(recursive=True)]

    def solver_processes(self) -> list[psutil.Process]:
        return [p for p in self.group()[1:] if "spawn_main" in " ".join(p.cmdline())]

    def kill(self) -> None:
        """SIGKILL to the whole process group: the server and its workers die at once."""
        assert self.proc is not None
        members = self.group()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        _gone, alive = psutil.wait_procs(members, timeout=10)
        assert not alive, f"still alive after SIGKILL: {alive}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "jobs.db", tmp_path / "server.log")
    srv.start()
    yield srv
    srv.stop()


def wait_for(client: httpx.Client, job_id: str, timeout_s: float = 60, until: Any = None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if (until(job) if until else job["status"] in FINISHED):
            return job
        assert time.monotonic() < deadline, f"timed out: {job}"
        time.sleep(0.1)


def follow_events(client: httpx.Client, url: str) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    name = None
    with client.stream("GET", f"{url}/events", timeout=httpx.Timeout(10, read=60)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: ") and name:
                events.append((name, json.loads(line.removeprefix("data: "))))
    return events


def valid_schedule(client: httpx.Client, job: dict[str, Any], instance: dict[str, Any]) -> SolveResult:
    response = client.get(job["schedule_url"])
    assert response.status_code == 200
    result = SolveResult.model_validate(response.json())
    report = validate(parse_instance(instance), result)
    assert report.ok, report
    return result


def test_serve_solve_stream_kill_restart(server: Server) -> None:
    """Tests the real server: demo solve over SSE, SIGKILL mid-solve, restart, every job intact and done."""
    client = httpx.Client(base_url=server.url, timeout=30)
    demo = client.post("/v1/jobs", json={"instance": DEMO, "settings": {"time_limit_s": 2, "workers": 2}})
    assert demo.status_code == 202 and demo.headers["location"] == demo.json()["url"]
    events = follow_events(client, demo.json()["url"])
    names = [name for name, _ in events]
    assert names[-1] == "end" and set(names[:-1]) <= {"status"}
    assert "running" in {data["status"] for _, data in events}
    assert any(data["progress"] and data["progress"]["objective"] for _, data in events[:-1])
    first = events[-1][1]
    assert first["status"] == "succeeded" and first["result"]["status"] in ("optimal", "feasible")
    valid_schedule(client, first, DEMO)

    # a longer solve, and a job queued behind it (one worker); then the whole group dies
    long = client.post("/v1/jobs", json={"instance": DEMO, "settings": {"time_limit_s": 4, "workers": 2}}).json()
    queued = client.post("/v1/jobs", json={"instance": TINY_INSTANCE}).json()
    wait_for(client, long["id"], until=lambda j: j["status"] == "running" and j["progress"]
             and j["progress"]["objective"] is not None)
    assert client.get(queued["url"]).json()["status"] == "queued"
    server.kill()

    server.start()  # same store, new port
    client = httpx.Client(base_url=server.url, timeout=30)
    assert client.get(first["url"]).json() == first  # untouched, byte for byte
    valid_schedule(client, first, DEMO)
    listed = {j["id"] for j in client.get("/v1/jobs").json()["items"]}
    assert listed == {first["id"], long["id"], queued["id"]}

    interrupted = wait_for(client, long["id"])
    assert interrupted["status"] == "succeeded", interrupted
    assert interrupted["attempts"] == 2 and interrupted["interruptions"] == 1
    assert any("interrupted" in note for note in interrupted["notes"]) and "re-queued" in interrupted["notes"]
    valid_schedule(client, interrupted, DEMO)
    after = wait_for(client, queued["id"])
    assert after["status"] == "succeeded" and after["attempts"] == 1
    valid_schedule(client, after, TINY_INSTANCE)

    # a solver process dies mid-solve: its job is re-queued, the pool starts a new process
    doomed = client.post("/v1/jobs", json={"instance": DEMO, "settings": {"time_limit_s": 3, "workers": 2}}).json()
    wait_for(client, doomed["id"], until=lambda j: j["status"] == "running")
    [solver] = server.solver_processes()
    solver.kill()
    job = wait_for(client, doomed["id"])
    assert job["status"] == "succeeded" and job["interruptions"] == 1 and job["attempts"] == 2, job
    assert any("worker process exited" in note for note in job["notes"])
    health = client.get("/v1/health").json()
    assert health["workers"] == {"configured": 1, "alive": 1, "executor": "process"} and health["status"] == "ok"
    assert [p.pid for p in server.solver_processes()] != [solver.pid]

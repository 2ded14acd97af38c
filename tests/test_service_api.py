"""The HTTP service through FastAPI's TestClient: every endpoint and error path.

Solves run in-process here (`executor="thread"`, tiny instances, one CP-SAT worker); the real
process pool, restarts and SIGKILL are covered by tests/test_service_e2e.py.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import report_objective_one_too_high
from fastapi.testclient import TestClient

from optimizer.domain.instance import InstanceError, parse_instance
from optimizer.domain.schedule import SolveResult
from optimizer.validate import validate
from service import worker as worker_module
from service.examples import TINY_INSTANCE, broken_instance, tiny_instance
from service.main import create_app
from service.pool import StoreLockedError
from service.settings import ServiceSettings
from service.store import JobStore, NewJob

ROOT = Path(__file__).resolve().parents[1]
FINISHED = {"succeeded", "failed", "cancelled"}

MakeClient = Callable[..., TestClient]


def service_settings(db_path: Path, **overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = dict(db_path=db_path, executor="thread", workers=1, poll_s=0.05, cancel_poll_s=0.05,
                                  progress_interval_s=0.1, sse_poll_s=0.05, api_keys=[], max_time_limit_s=60)
    values.update(overrides)
    return ServiceSettings(**values)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[MakeClient]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(service_settings(tmp_path / f"jobs{len(clients)}.db", **overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


@pytest.fixture
def idle(make_client: MakeClient) -> TestClient:
    """No solver worker: jobs stay queued."""
    return make_client(workers=0, sse_max_duration_s=0.3)


def submit(client: TestClient, body: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
    response = client.post("/v1/jobs", json=body or {"instance": TINY_INSTANCE}, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


def wait_for(client: TestClient, job_id: str, states: set[str] = FINISHED, timeout_s: float = 30.0,
             headers: dict[str, str] | None = None, until: Callable[[dict[str, Any]], bool] | None = None
             ) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}", headers=headers or {}).json()
        if job["status"] in states and (until is None or until(job)):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}: {job}"
        time.sleep(0.05)


def demo_instance() -> dict[str, Any]:
    return json.loads((ROOT / "instances" / "demo-small.json").read_text())


def assert_problem(response: Any, status: int, error: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail", "issues"}, body
    if error is not None:
        assert body["error"] == error, body
    return body


# -- submit, status, schedule --------------------------------------------------------------------


def test_submit_runs_the_job_and_the_schedule_validates(client: TestClient) -> None:
    """Tests that a submitted job answers 202 with its URL, succeeds, and serves a valid schedule."""
    response = client.post("/v1/jobs", json={"instance": TINY_INSTANCE})
    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == job["url"] == f"/v1/jobs/{job['id']}"
    assert job["status"] in ("queued", "running")
    assert job["instance"] == "tiny" and job["time_limit_s"] == 5 and job["solver_workers"] == 1
    done = wait_for(client, job["id"])
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 1 and done["error"] is None
    assert done["started_at"] and done["finished_at"] and done["created_at"] <= done["finished_at"]
    assert done["result"]["status"] == "optimal" and done["result"]["assignments"] == 3
    assert done["progress"]["phase"] == "done" and done["progress"]["objective"] == done["result"]["objective"]
    assert done["schedule_url"] == f"/v1/jobs/{job['id']}/schedule"

    schedule = client.get(done["schedule_url"])
    assert schedule.status_code == 200 and schedule.headers["content-type"].startswith("application/json")
    result = SolveResult.model_validate(schedule.json())
    assert validate(parse_instance(TINY_INSTANCE), result).ok


def test_schedule_as_csv(client: TestClient) -> None:
    """Tests that ?format=csv gives one row per shift with breaks and activities columns."""
    job = wait_for(client, submit(client)["id"])
    response = client.get(f"{job['url']}/schedule", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0] == "agent_id,date,start,end,template_id,paid_minutes,breaks,activities"
    assert len(lines) == 4
    agent, date, start, end, template, paid, breaks, activities = lines[1].split(",")
    assert date == "2026-03-02" and start.startswith("2026-03-02T") and template == "day" and paid == "420"
    assert breaks.startswith("lunch ") and breaks.endswith(" unpaid") and activities == ""
    bad = client.get(f"{job['url']}/schedule", params={"format": "xml"})
    assert assert_problem(bad, 422, "invalid_input")["issues"][0]["source"] == "query"


def test_schedule_is_409_while_not_ready(idle: TestClient) -> None:
    """Tests that the schedule of a queued job is 409 not_ready."""
    job = submit(idle)
    response = idle.get(f"{job['url']}/schedule")
    assert_problem(response, 409, "not_ready")
    assert response.headers["retry-after"] == "1"
    assert idle.get(job["url"]).json()["status"] == "queued"


def test_settings_override_and_server_caps(make_client: MakeClient) -> None:
    """Tests that request settings replace the instance's and the server caps time limit and workers."""
    client = make_client(workers=0, max_time_limit_s=3, max_solver_workers=1)
    job = submit(client, {"instance": TINY_INSTANCE, "settings": {"time_limit_s": 100, "workers": 4, "seed": 3}})
    assert job["time_limit_s"] == 3 and job["solver_workers"] == 1
    assert any("capped" in note and "3 s" in note for note in job["notes"])
    assert any("CP-SAT workers capped" in note for note in job["notes"])
    store = JobStore(client.app.state.settings.db_path)
    stored = json.loads(store._conn().execute("SELECT settings_json FROM jobs").fetchone()[0])
    assert stored["seed"] == 3 and stored["time_limit_s"] == 3 and stored["workers"] == 1


def test_previous_schedule_makes_a_reoptimization_job(client: TestClient) -> None:
    """Tests that a previous schedule becomes the published roster of the job's instance: the result
    prices its changes and diffs against it (same demand: nothing to change), and the validator
    agrees on the instance with that baseline."""
    first = wait_for(client, submit(client)["id"])
    previous = client.get(first["schedule_url"]).json()
    job = submit(client, {"instance": TINY_INSTANCE, "previous_schedule": previous})
    assert job["previous_schedule_stored"] is True
    assert any("re-optimization" in n for n in job["notes"])
    assert wait_for(client, job["id"])["status"] == "succeeded"
    result = SolveResult.model_validate(client.get(f"/v1/jobs/{job['id']}/schedule").json())
    assert result.changes is not None and result.changes.agent_days_changed == 0
    assert result.terms["changes"] == 0
    instance = parse_instance({**TINY_INSTANCE, "baseline": {"assignments": previous["assignments"]}})
    assert validate(instance, result).ok
    assert submit(client)["previous_schedule_stored"] is False
    both = client.post("/v1/jobs", json={"instance": instance.model_dump(mode="json"), "previous_schedule": previous})
    assert both.status_code == 422 and both.json()["issues"][0]["path"] == "previous_schedule"


def test_infeasible_instance_succeeds_with_an_explanation(client: TestClient) -> None:
    """Tests that an infeasible problem is a succeeded job whose result explains the conflict."""
    data = tiny_instance(contracts=[{"id": "ft", "min_paid_minutes": 2000}])
    job = wait_for(client, submit(client, {"instance": data})["id"])
    assert job["status"] == "succeeded"
    assert job["result"]["status"] == "infeasible" and job["result"]["explanation"]
    result = client.get(job["schedule_url"]).json()
    assert result["status"] == "infeasible" and result["explanation"] and result["assignments"] == []


def test_solver_error_fails_the_job(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that an exception in the solver fails the job with the error, and no schedule."""
    def boom(*args: Any) -> SolveResult:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(worker_module, "run_solve", boom)
    job = wait_for(client, submit(client)["id"])
    assert job["status"] == "failed"
    assert job["error"] == {"code": "solver_error", "message": "RuntimeError: model exploded"}
    assert job["schedule_url"] is None
    assert_problem(client.get(f"{job['url']}/schedule"), 409, "no_schedule")


def test_a_schedule_failing_the_engine_check_is_kept_and_named_on_the_job(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A result whose own check by the independent validator fails (an engine defect; here its
    objective made one too high) fails the job with `engine_error`, and the schedule is kept."""
    report_objective_one_too_high(monkeypatch)
    job = wait_for(client, submit(client)["id"])
    assert job["status"] == "failed"
    assert job["error"]["code"] == "engine_error"
    assert job["error"]["message"].startswith(
        "ENGINE ERROR: the schedule fails the independent validator (0 hard violation(s), 1 mismatch(es))")
    result = client.get(job["schedule_url"]).json()
    assert result["self_check"]["ok"] is False and "objective: schedule reports" in result["self_check"]["details"][0]


def test_a_result_that_cannot_be_recorded_fails_the_job(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error while recording a job's end (here its summary) failed nothing: the job stayed
    `running` for the server's life (a DELETE answered 202, its event stream never ended)."""
    def boom(result: SolveResult) -> dict[str, Any]:
        raise ValueError("summary exploded")

    monkeypatch.setattr(worker_module, "result_summary", boom)
    job = wait_for(client, submit(client)["id"], timeout_s=10)
    assert job["status"] == "failed" and job["schedule_url"] is None
    assert job["error"] == {"code": "record_error",
                            "message": "the end of the run could not be recorded: ValueError: summary exploded"}
    assert_problem(client.delete(job["url"]), 409, "conflict")


# -- invalid input ----------------------------------------------------------------------------------


def cli_issues(data: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(InstanceError) as caught:
        parse_instance(data)
    return [{"path": i.path, "reason": i.reason, "source": "instance"} for i in caught.value.issues]


@pytest.mark.parametrize("case", ["structural", "references", "unknown_field"])
def test_invalid_instance_gives_the_cli_issues(idle: TestClient, case: str) -> None:
    """Tests that an invalid instance gets 422 with exactly the field paths and reasons of the CLI."""
    if case == "structural":
        data = broken_instance()
    elif case == "references":
        data = tiny_instance()
        data["agents"][1]["contract"] = "ft40"
        data["agents"][2]["skills"] = [{"skill": "chat"}]
    else:
        data = tiny_instance(colour="blue")
    body = assert_problem(idle.post("/v1/jobs", json={"instance": data}), 422, "invalid_input")
    assert body["issues"] == cli_issues(data)
    if case == "references":
        assert {"path": "agents[1].contract", "reason": "unknown contract 'ft40'", "source": "instance"} \
            in body["issues"]
    assert idle.get("/v1/jobs").json()["items"] == []


BROKE_THE_CHECKS = [  # (path, change): each of these was answered 503 (an exception in the checks)
    ("horizon.timezone", lambda d: d["horizon"].update(timezone="x" * 5000)),  # OSError: too long for a file name
    ("horizon.start_date", lambda d: d["horizon"].update(start_date="9999-12-31")),  # OverflowError: past date.max
    ("agents[0].time_off[0]", lambda d: d["agents"][0].update(time_off=[  # TypeError: naive and aware compared
        {"start": "2026-03-02T10:00:00+02:00", "end": "2026-03-02T11:00:00"}])),
]


@pytest.mark.parametrize(("path", "change"), BROKE_THE_CHECKS)
def test_instance_values_that_broke_the_checks_are_422(idle: TestClient, path: str, change: Any) -> None:
    """Tests that values the instance checks did not expect are 422 naming the field, on both endpoints."""
    data = tiny_instance()
    change(data)
    empty = {"instance": "tiny", "status": "feasible", "assignments": []}
    for url, body in (("/v1/jobs", {"instance": data}), ("/v1/validate", {"instance": data, "schedule": empty})):
        issues = assert_problem(idle.post(url, json=body), 422, "invalid_input")["issues"]
        assert [(i["path"], i["source"]) for i in issues] == [(path, "instance")]


def test_a_boolean_for_a_number_is_422_naming_the_field(idle: TestClient) -> None:
    """Tests that JSON true where the instance wants a number is 422 (pydantic's lax mode read it as 1),
    while a boolean field still takes true."""
    data = tiny_instance()
    data["demand"][0]["required"][3] = True
    data["templates"][0]["breaks"][0]["paid"] = True
    issues = assert_problem(idle.post("/v1/jobs", json={"instance": data}), 422, "invalid_input")["issues"]
    assert issues == [{"path": "demand[0].required[3]", "reason": "a number is required, not true",
                       "source": "instance"}]


def test_text_with_an_unpaired_surrogate_is_422_naming_the_field(idle: TestClient) -> None:
    """A lone surrogate (a \\ud800 escape, or the bytes of one, which the JSON parser takes) passes
    pydantic, and the job then could not be stored (503); it is 422 naming the document and the
    field. A pair (an emoji written as two escapes) is fine."""
    instance = json.dumps(TINY_INSTANCE)
    headers = {"Content-Type": "application/json"}
    for lone in ("\\udc00", "\udc00"):
        body = '{"instance": ' + instance.replace('"description": "', f'"description": "{lone}', 1) + "}"
        issues = assert_problem(idle.post("/v1/jobs", content=body.encode("utf-8", "surrogatepass"), headers=headers),
                                422, "invalid_input")["issues"]
        assert [(i["path"], i["source"]) for i in issues] == [("description", "instance")]
        assert "unpaired UTF-16 surrogate" in issues[0]["reason"]
    schedule = {"instance": "tiny", "status": "feasible", "assignments": [
        {"agent_id": "a\ud800", "date": "2026-03-02", "start": "2026-03-02T08:00:00", "end": "2026-03-02T16:00:00",
         "template_id": "day"}]}
    body = json.dumps({"instance": TINY_INSTANCE, "schedule": schedule})
    issues = assert_problem(idle.post("/v1/validate", content=body, headers=headers), 422)["issues"]
    assert [(i["path"], i["source"]) for i in issues] == [("assignments[0].agent_id", "schedule")]
    paired = instance.replace('"description": "', '"description": "\\ud83d\\ude00', 1)
    assert idle.post("/v1/jobs", content='{"instance": ' + paired + "}", headers=headers).status_code == 202


def test_invalid_settings_previous_schedule_and_body(idle: TestClient) -> None:
    """Tests that settings, previous schedule and body problems are 422 naming their source and path."""
    def issues(body: Any, **kwargs: Any) -> list[dict[str, str]]:
        return assert_problem(idle.post("/v1/jobs", json=body, **kwargs), 422, "invalid_input")["issues"]

    assert issues({"instance": TINY_INSTANCE, "settings": {"time_limit_s": -1}}) == [
        {"path": "time_limit_s", "reason": "Input should be greater than 0", "source": "settings"}]
    assert issues({"instance": TINY_INSTANCE, "settings": {"time_limit_s": True}}) == [
        {"path": "time_limit_s", "reason": "a number is required, not true", "source": "settings"}]
    found = issues({"instance": TINY_INSTANCE, "settings": {"parameters": {"no_such_param": 1}}})
    assert found[0]["source"] == "settings" and "unknown CP-SAT parameter" in found[0]["reason"]
    found = issues({"instance": TINY_INSTANCE, "settings": {"parameters": {"num_workers": "many"}}})
    assert found[0]["path"] == "parameters.num_workers" and found[0]["source"] == "settings"
    for parameters, reason in (({"search_branching": 5}, "not a valid value: 5 (one of AUTOMATIC_SEARCH, "),
                               ({"linearization_level": "LP_SEARCH"}, "not a valid value: 'LP_SEARCH' (a whole number"),
                               ({"log_prefix": 5}, "not a valid value: 5 (text)"),
                               ({"log_search_progress": True}, "set by the server; use `log`"),
                               ({"relative_gap_limit": 0.1}, "set by the server; use `relative_gap`")):
        found = issues({"instance": TINY_INSTANCE, "settings": {"parameters": parameters}})
        assert found[0]["path"] == f"parameters.{next(iter(parameters))}" and reason in found[0]["reason"], found
    assert submit(idle, {"instance": TINY_INSTANCE, "settings": {"parameters": {"search_branching": "LP_SEARCH"}}})
    found = issues({"instance": TINY_INSTANCE, "settings": {"parameters": {"max_time_in_seconds": 1e6}}})
    assert found == [{"path": "parameters.max_time_in_seconds", "source": "settings",
                      "reason": "set by the server; use `time_limit_s`"}]
    found = issues({"instance": tiny_instance(solver={"parameters": {"num_workers": 64}})})
    assert found == [{"path": "solver.parameters", "source": "instance",
                      "reason": "num_workers: set by the engine; use `workers`"}]
    found = issues({"instance": TINY_INSTANCE, "previous_schedule": {"status": "great"}})
    assert {i["source"] for i in found} == {"previous_schedule"}
    assert {i["path"] for i in found} == {"instance", "status"}
    assert issues({"instance": TINY_INSTANCE, "extra": 1}) == [
        {"path": "extra", "reason": "unknown field", "source": "body"}]
    assert issues({}) == [{"path": "instance", "reason": "Field required", "source": "body"}]
    assert issues([1, 2])[0]["source"] == "body"
    found = issues(None, content=b'{"instance": ', headers={"content-type": "application/json"})
    assert found[0]["source"] == "body" and found[0]["reason"].startswith("not valid JSON")
    for headers in ({"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"}, {},
                    {"content-type": "application/jsonx"}):
        body = assert_problem(idle.post("/v1/jobs", content=json.dumps({"instance": TINY_INSTANCE}).encode(),
                                        headers=headers), 415, "unsupported_media_type")
        assert "Content-Type: application/json" in body["detail"]
    assert issues(None, content=b"", headers={"content-type": "application/json"}) == [
        {"path": "", "reason": "the body is empty", "source": "body"}]
    found = issues(None, content=b"\x01\x14\xff\xfe", headers={"content-type": "application/json"})
    assert found[0]["source"] == "body" and found[0]["reason"].startswith("not valid JSON")


def test_forecast_values_are_checked_at_submission(idle: TestClient) -> None:
    """Tests that a forecast the engine cannot turn into requirements is 422 at submission with the
    CLI's path and reason (it once got 202, then failed as "stored input unreadable")."""
    data = tiny_instance()
    data["demand"] = [{"skill": "voice", "forecast": {"volume": [10.0] * 24, "aht_s": 0,
                                                      "targets": {"service_level": 0.8}}}]
    body = assert_problem(idle.post("/v1/jobs", json={"instance": data}), 422, "invalid_input")
    assert body["issues"] == cli_issues(data)
    assert body["issues"][0]["path"] == "demand[0].forecast.aht_s"
    body = assert_problem(idle.post("/v1/validate", json={"instance": data, "schedule": {"instance": "tiny",
                                                                                        "status": "unknown"}}), 422)
    assert body["issues"] == cli_issues(data)
    assert idle.get("/v1/jobs").json()["items"] == []


def test_previous_schedule_times_off_the_minute_are_named(idle: TestClient) -> None:
    """Tests that a published shift or break with seconds is 422: the model counts whole minutes, the
    validator the exact times, so such a roster once ran and failed the engine's own check (engine_error)."""
    row = {"agent_id": "a1", "date": "2026-03-02", "start": "2026-03-02T08:00:30", "end": "2026-03-02T16:00:00",
           "template_id": "day", "paid_minutes": 420,
           "breaks": [{"name": "lunch", "start": "2026-03-02T11:00:00", "end": "2026-03-02T12:00:00.5", "paid": False}]}
    previous = {"instance": "tiny", "status": "feasible", "assignments": [row]}
    body = assert_problem(idle.post("/v1/jobs", json={"instance": TINY_INSTANCE, "previous_schedule": previous}), 422)
    assert [(i["path"], i["source"]) for i in body["issues"]] == [
        ("assignments[0].start", "previous_schedule"), ("assignments[0].breaks[0].end", "previous_schedule")]
    assert body["issues"][0]["reason"] == "2026-03-02T08:00:30 is not a whole minute (the engine writes whole minutes)"


def test_previous_schedule_without_a_roster_is_422(idle: TestClient) -> None:
    """Tests that a previous schedule that is not a roster (an infeasible result: no shifts) is 422
    naming its status; it was accepted and every shift priced as added to an empty roster."""
    previous = {"instance": "tiny", "status": "infeasible", "assignments": []}
    body = assert_problem(idle.post("/v1/jobs", json={"instance": TINY_INSTANCE, "previous_schedule": previous}),
                          422, "invalid_input")
    assert [(i["path"], i["source"]) for i in body["issues"]] == [("status", "previous_schedule")]
    assert body["issues"][0]["reason"].startswith("the previous schedule is infeasible: it has no roster to keep")


def test_previous_schedule_rows_are_checked_and_named_as_sent(client: TestClient) -> None:
    """Tests that broken rows of a previous schedule are 422 under `assignments[i]` with source
    `previous_schedule` (not the instance's `baseline`, which the client never sent)."""
    previous = client.get(wait_for(client, submit(client)["id"])["schedule_url"]).json()
    row = previous["assignments"][0]

    def issues(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
        body = {"instance": TINY_INSTANCE, "previous_schedule": {**previous, "assignments": rows}}
        return assert_problem(client.post("/v1/jobs", json=body), 422, "invalid_input")["issues"]

    assert issues([row, row])[0] == {"path": "assignments[1]", "source": "previous_schedule",
                                     "reason": f"a second published shift for {row['agent_id']} on {row['date']}"}
    backwards = dict(row, end=row["start"])
    found = {i["path"]: i for i in issues([backwards])}
    assert {i["source"] for i in found.values()} == {"previous_schedule"}
    assert "is not after the shift's start" in found["assignments[0].end"]["reason"]
    aware = dict(row, start=row["start"] + "+05:00", end=row["end"] + "+05:00")
    assert issues([aware])[0]["path"] == "assignments[0]" and "UTC offset" in issues([aware])[0]["reason"]
    elsewhere = dict(row, date="2026-03-05")
    found = issues([row, elsewhere])
    assert [i["path"] for i in found] == ["assignments[1].date"]
    assert "is not the date of the shift's start" in found[0]["reason"]
    next_week = json.loads(json.dumps(previous["assignments"]).replace("2026-03-02", "2026-03-09"))
    found = issues(next_week)
    assert [(i["path"], i["source"]) for i in found] == [("assignments", "previous_schedule")]
    assert "none of the" in found[0]["reason"] and "another period" in found[0]["reason"]


def test_unknown_ids_are_404(client: TestClient) -> None:
    """Tests that every job endpoint answers 404 for an unknown id."""
    for method, url in [("GET", "/v1/jobs/nope"), ("GET", "/v1/jobs/nope/events"),
                        ("GET", "/v1/jobs/nope/schedule"), ("DELETE", "/v1/jobs/nope")]:
        assert_problem(client.request(method, url), 404, "not_found")


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    """Tests that unknown routes (404) and methods (405) answer Problem bodies too."""
    assert_problem(client.get("/v2/jobs"), 404, "not_found")
    assert_problem(client.put("/v1/jobs"), 405, "method_not_allowed")


def test_unknown_routes_and_methods_name_the_request(client: TestClient) -> None:
    """A router 404 or 405 said only "Not Found" / "Method Not Allowed": a job id with a slash (or
    a typo in the path) read like a missing job, and the method was not named."""
    body = assert_problem(client.get("/v1/jobs/a%2Fb"), 404, "not_found")
    assert body["detail"] == "no endpoint GET /v1/jobs/a/b"
    body = assert_problem(client.put("/v1/jobs/x"), 405, "method_not_allowed")
    assert body["detail"] == "PUT is not allowed on /v1/jobs/x"
    assert assert_problem(client.get("/v1/jobs/nope"), 404, "not_found")["detail"] == "no job 'nope'"


def test_request_too_large_is_413(make_client: MakeClient) -> None:
    """Tests that a body over the limit is refused with 413, by Content-Length or while streaming."""
    client = make_client(workers=0, max_request_bytes=4096)
    big = {"instance": tiny_instance(description="x" * 5000)}
    assert_problem(client.post("/v1/jobs", json=big), 413, "request_too_large")

    def chunks() -> Iterator[bytes]:
        body = json.dumps(big).encode()
        for i in range(0, len(body), 1000):
            yield body[i:i + 1000]

    response = client.post("/v1/jobs", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(response, 413, "request_too_large")
    assert client.post("/v1/jobs", json={"instance": TINY_INSTANCE}).status_code == 202


def test_queue_full_is_429_with_retry_after(make_client: MakeClient) -> None:
    """Tests that submits beyond the queue bound get 429 with Retry-After, and nothing is stored."""
    client = make_client(workers=0, max_queued_jobs=2, retry_after_s=7)
    submit(client)
    submit(client)
    response = client.post("/v1/jobs", json={"instance": TINY_INSTANCE})
    assert_problem(response, 429, "too_many_queued_jobs")
    assert response.headers["retry-after"] == "7"
    assert len(client.get("/v1/jobs").json()["items"]) == 2
    assert client.get("/v1/health").json()["queue_depth"] == 2


# -- idempotency ------------------------------------------------------------------------------------


def test_idempotency_key_replays_the_same_job(idle: TestClient) -> None:
    """Tests that the same Idempotency-Key and body return the same job, a different body 422."""
    first = idle.post("/v1/jobs", json={"instance": TINY_INSTANCE}, headers={"Idempotency-Key": "order-42"})
    again = idle.post("/v1/jobs", json={"instance": copy.deepcopy(TINY_INSTANCE)},
                      headers={"Idempotency-Key": "order-42"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert again.headers["location"] == first.headers["location"]
    other = idle.post("/v1/jobs", json={"instance": TINY_INSTANCE, "settings": {"seed": 1}},
                      headers={"Idempotency-Key": "order-42"})
    body = assert_problem(other, 422, "idempotency_key_reused")
    assert body["issues"][0]["source"] == "header" and first.json()["id"] in body["issues"][0]["reason"]
    assert submit(idle, None, **{"Idempotency-Key": "order-43"})["id"] != first.json()["id"]
    assert len(idle.get("/v1/jobs").json()["items"]) == 2
    spaced = assert_problem(idle.post("/v1/jobs", json={"instance": TINY_INSTANCE}, headers={"Idempotency-Key": "a b"}),
                            422, "invalid_input")
    assert spaced["issues"] == [{"path": "Idempotency-Key", "source": "header",
                                 "reason": "printable ASCII characters only, no spaces"}]


def test_idempotent_submits_race_to_one_job(make_client: MakeClient) -> None:
    """Tests that concurrent submits with one key create exactly one job."""
    client = make_client(workers=0)
    ids: list[str] = []

    def post() -> None:
        r = client.post("/v1/jobs", json={"instance": TINY_INSTANCE}, headers={"Idempotency-Key": "same"})
        ids.append(r.json()["id"])

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1 and len(ids) == 6


# -- listing ----------------------------------------------------------------------------------------


def test_list_pages_with_a_stable_cursor(idle: TestClient) -> None:
    """Tests that listing is newest first, the cursor walks every job once, and new jobs shift nothing."""
    ids = [submit(idle)["id"] for _ in range(5)]
    page = idle.get("/v1/jobs", params={"limit": 2}).json()
    assert [j["id"] for j in page["items"]] == ids[::-1][:2] and page["limit"] == 2
    seen = [j["id"] for j in page["items"]]
    submit(idle)  # a new job must not shift the pages that follow
    while page["next_cursor"]:
        page = idle.get("/v1/jobs", params={"limit": 2, "cursor": page["next_cursor"]}).json()
        seen += [j["id"] for j in page["items"]]
    assert seen == ids[::-1]
    idle.delete(f"/v1/jobs/{ids[0]}")
    cancelled = idle.get("/v1/jobs", params={"status": "cancelled"}).json()["items"]
    assert [j["id"] for j in cancelled] == [ids[0]]
    assert len(idle.get("/v1/jobs", params={"status": "queued"}).json()["items"]) == 5
    assert_problem(idle.get("/v1/jobs", params={"cursor": "abc"}), 422, "invalid_input")
    assert_problem(idle.get("/v1/jobs", params={"limit": 0}), 422, "invalid_input")
    assert_problem(idle.get("/v1/jobs", params={"status": "done"}), 422, "invalid_input")


@pytest.mark.parametrize("cursor", ["\u00b2", "\u2070", "\uff11", "\u0661", "\U0001d7ce"])
def test_a_cursor_of_non_ascii_digits_is_422(idle: TestClient, cursor: str) -> None:
    """Unicode digits (superscript two, fullwidth one, ...) pass `str.isdigit` but are no cursor of
    ours: some made `int()` raise (a 503), the others were read as a position."""
    submit(idle)
    body = assert_problem(idle.get("/v1/jobs", params={"cursor": cursor}), 422, "invalid_input")
    assert body["issues"] == [{"path": "cursor", "reason": "not a cursor returned by this endpoint", "source": "query"}]


# -- cancel -----------------------------------------------------------------------------------------


def test_cancel_a_queued_job(idle: TestClient) -> None:
    """Tests that cancelling a queued job cancels it at once, without a schedule, and idempotently."""
    job = submit(idle)
    response = idle.delete(job["url"])
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["cancel_requested"] is True
    assert response.json()["attempts"] == 0 and response.json()["finished_at"]
    assert_problem(idle.get(f"{job['url']}/schedule"), 409, "no_schedule")
    assert idle.delete(job["url"]).status_code == 200


def test_cancel_a_running_job_keeps_the_best_schedule(client: TestClient) -> None:
    """Tests that cancelling a running solve stops it soon and keeps its best schedule so far."""
    body = {"instance": demo_instance(), "settings": {"time_limit_s": 60, "workers": 1}}
    job = submit(client, body)
    wait_for(client, job["id"], {"running"}, until=lambda j: j["progress"] is not None
             and j["progress"]["objective"] is not None)
    asked = time.monotonic()
    response = client.delete(job["url"])
    assert response.status_code == 202 and response.json()["cancel_requested"] is True
    done = wait_for(client, job["id"], timeout_s=20)
    assert time.monotonic() - asked < 15
    assert done["status"] == "cancelled" and done["result"]["cancelled"] is True
    assert done["result"]["status"] == "feasible" and done["result"]["assignments"] > 0
    result = SolveResult.model_validate(client.get(done["schedule_url"]).json())
    assert result.stats.cancelled and validate(parse_instance(body["instance"]), result).ok
    assert result.explanation == [] and any("cancelled before its time limit" in n for n in result.notes)
    assert client.delete(job["url"]).status_code == 200


def test_a_store_error_in_the_watcher_does_not_lose_the_cancel(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """One failed store call of a running job's watcher (a progress write, a cancel poll) ended the
    watcher thread: a DELETE then answered 202 and the solve ran on to its time limit."""
    for name in ("write_progress", "cancel_requested"):
        original = getattr(JobStore, name)
        failed: list[bool] = []

        def once(self: JobStore, *args: Any, _original: Any = original, _failed: list[bool] = failed) -> Any:
            if not _failed:
                _failed.append(True)
                raise sqlite3.OperationalError("database is locked")
            return _original(self, *args)

        monkeypatch.setattr(JobStore, name, once)
    job = submit(client, {"instance": demo_instance(), "settings": {"time_limit_s": 60, "workers": 1}})
    wait_for(client, job["id"], {"running"}, until=lambda j: j["progress"] is not None)
    assert client.delete(job["url"]).status_code == 202
    done = wait_for(client, job["id"], timeout_s=15)
    assert done["status"] == "cancelled" and done["result"]["cancelled"] is True


def test_cancel_a_finished_job_is_409(client: TestClient) -> None:
    """Tests that a job that already succeeded cannot be cancelled."""
    job = wait_for(client, submit(client)["id"])
    assert_problem(client.delete(job["url"]), 409, "conflict")
    assert client.get(job["url"]).json()["status"] == "succeeded"


# -- events -----------------------------------------------------------------------------------------


def read_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_events_follow_a_job_to_its_end(client: TestClient) -> None:
    """Tests that the event stream sends status events and closes with an end event."""
    job = submit(client, {"instance": TINY_INSTANCE})
    response = client.get(f"{job['url']}/events")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = read_events(response.text)
    assert events[-1][0] == "end" and events[-1][1]["status"] == "succeeded"
    assert all(name == "status" for name, _ in events[:-1])
    assert events[-1][1]["progress"]["objective"] == events[-1][1]["result"]["objective"]


def test_events_of_a_finished_job_send_the_final_state(client: TestClient) -> None:
    """Tests that the stream of a finished job sends its final state at once and closes."""
    job = wait_for(client, submit(client)["id"])
    events = read_events(client.get(f"{job['url']}/events").text)
    assert [name for name, _ in events] == ["end"] and events[0][1] == job


def test_events_of_a_queued_job_close_after_the_maximum_duration(idle: TestClient) -> None:
    """Tests that a stream closes after the server's maximum duration (clients reconnect)."""
    job = submit(idle)
    events = read_events(idle.get(f"{job['url']}/events").text)
    assert [name for name, _ in events] == ["status"] and events[0][1]["status"] == "queued"


# -- security ---------------------------------------------------------------------------------------


def test_api_keys_guard_every_endpoint_but_health(make_client: MakeClient) -> None:
    """Tests that with keys set, requests need one (401) and jobs are visible to their key only (404)."""
    client = make_client(workers=0, api_keys=["key-one", "key-two"])
    one, two = {"X-API-Key": "key-one"}, {"X-API-Key": "key-two"}
    assert client.get("/v1/health").status_code == 200
    for method, url in [("POST", "/v1/jobs"), ("GET", "/v1/jobs"), ("GET", "/v1/jobs/x"),
                        ("GET", "/v1/jobs/x/events"), ("GET", "/v1/jobs/x/schedule"), ("DELETE", "/v1/jobs/x"),
                        ("POST", "/v1/validate")]:
        assert_problem(client.request(method, url, json={}), 401, "unauthorized")
        assert_problem(client.request(method, url, json={}, headers={"X-API-Key": "wrong"}), 401)
    job = submit(client, None, **one)
    assert client.get(job["url"], headers=one).status_code == 200
    for method, suffix in [("GET", ""), ("GET", "/events"), ("GET", "/schedule"), ("DELETE", "")]:
        assert_problem(client.request(method, job["url"] + suffix, headers=two), 404, "not_found")
    assert client.get("/v1/jobs", headers=two).json()["items"] == []
    assert [j["id"] for j in client.get("/v1/jobs", headers=one).json()["items"]] == [job["id"]]
    # idempotency keys are per API key: the same key under another API key is another job
    a = submit(client, None, **one, **{"Idempotency-Key": "k"})
    b = submit(client, None, **two, **{"Idempotency-Key": "k"})
    assert a["id"] != b["id"]
    stored = JobStore(client.app.state.settings.db_path)._conn().execute("SELECT api_key_hash FROM jobs").fetchall()
    assert all(len(r[0]) == 64 and "key-" not in r[0] for r in stored)


def test_api_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests that WFM_API_KEYS is a comma-separated list and other WFM_ variables are read."""
    monkeypatch.setenv("WFM_API_KEYS", " a1, b2 ,,")
    monkeypatch.setenv("WFM_MAX_QUEUED_JOBS", "3")
    monkeypatch.setenv("WFM_DB_PATH", str(tmp_path / "x.db"))
    settings = ServiceSettings()
    assert settings.api_keys == ["a1", "b2"] and settings.max_queued_jobs == 3
    assert settings.db_path == tmp_path / "x.db"


# -- validate, health, errors -----------------------------------------------------------------------


def test_validate_endpoint(client: TestClient) -> None:
    """Tests that /v1/validate reports a good schedule ok with KPIs, and a broken one with violations."""
    job = wait_for(client, submit(client)["id"])
    schedule = client.get(job["schedule_url"]).json()
    response = client.post("/v1/validate", json={"instance": TINY_INSTANCE, "schedule": schedule})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] is True and report["hard"] == [] and report["objective"] == schedule["objective"]
    for name in ("coverage_pct", "paid_hours", "labor_cost", "shifts", "preferences_total", "preferences_honored",
                 "under_staffed_agent_hours", "hours_per_agent_spread"):
        assert report["kpis"][name] == schedule["kpis"][name], name

    broken = copy.deepcopy(schedule)
    broken["assignments"][0]["agent_id"] = "ghost"
    report = client.post("/v1/validate", json={"instance": TINY_INSTANCE, "schedule": broken}).json()
    assert report["ok"] is False and report["hard"] and report["mismatches"]

    body = assert_problem(client.post("/v1/validate", json={"instance": broken_instance(), "schedule": schedule}),
                          422, "invalid_input")
    assert body["issues"] == cli_issues(broken_instance())
    body = assert_problem(client.post("/v1/validate", json={"instance": TINY_INSTANCE, "schedule": {"x": 1}}), 422)
    assert {i["source"] for i in body["issues"]} == {"schedule"}


def test_validate_rejects_unusable_datetimes(client: TestClient) -> None:
    """Tests that a schedule whose date-times cannot be placed in the horizon's zone is 422, not 5xx."""
    schedule = {"instance": "tiny", "status": "feasible", "assignments": [{
        "agent_id": "a1", "date": "0001-01-01", "start": "0001-01-01T00:00:00+14:00",
        "end": "0001-01-01T08:00:00+14:00", "template_id": "day", "paid_minutes": 480}]}
    good = client.get(wait_for(client, submit(client)["id"])["schedule_url"]).json()["assignments"][0]
    schedule["assignments"].insert(0, good)
    response = client.post("/v1/validate", json={"instance": TINY_INSTANCE, "schedule": schedule})
    issue = assert_problem(response, 422, "invalid_input")["issues"][0]
    assert (issue["source"], issue["path"]) == ("schedule", "assignments[1]")  # the row that cannot be placed
    del schedule["assignments"][0]
    schedule["assignments"][0].update(date="9999-12-31", start="9999-12-31T23:00:00", end="9999-12-31T23:59:00")
    report = client.post("/v1/validate", json={"instance": TINY_INSTANCE, "schedule": schedule}).json()
    assert report["ok"] is False and report["hard"]


def test_requirements_endpoint(client: TestClient) -> None:
    """Tests that /v1/requirements gives the library's numbers, demand rows, and field paths on errors."""
    from optimizer.requirements import compute_requirements

    rows = [
        {"interval_start": "2026-03-02T08:00", "volume": 120, "aht_s": 300, "skill": "voice",
         "targets": {"service_level": 0.8}, "shrinkage": {"breaks": 0.1, "absence": 0.05}},
        {"interval_start": "2026-03-02T08:15", "volume": 150, "aht_s": 300, "skill": "voice",
         "targets": {"service_level": 0.8}, "shrinkage": {"breaks": 0.1, "absence": 0.05}},
        {"interval_start": "2026-03-02T08:00", "volume": 40, "aht_s": 600, "skill": "mail", "channel": "email",
         "targets": {"response_time_s": 3600}},
    ]
    response = client.post("/v1/requirements", json={"rows": rows})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = compute_requirements(rows)
    assert body["interval_minutes"] == expected.interval_minutes == 15
    assert [r["required_net"] for r in body["rows"]] == [r.required_net for r in expected.rows]
    assert body["demand"] == [{"skill": s, "required": v} for s, v in expected.by_skill("scheduled").items()]
    assert body["rows"][2]["model"] == "deferred" and body["rows"][2]["service_level"] is None
    assert body["rows"][0]["binding"] == "service_level"

    bad = [dict(rows[0], aht_s=0), dict(rows[1], targets={})]
    found = assert_problem(client.post("/v1/requirements", json={"rows": bad}), 422, "invalid_input")["issues"]
    assert found == [{"path": "rows[0].aht_s", "reason": "must be greater than 0 (got 0.0)", "source": "body"}]
    found = assert_problem(client.post("/v1/requirements", json={"rows": [dict(rows[0], targets={})]}), 422)
    assert found["issues"][0]["path"] == "rows[0].targets"
    huge = [dict(rows[0], volume=1e9)]
    found = assert_problem(client.post("/v1/requirements", json={"rows": huge, "max_agents": 100}), 422)
    assert "unreachable" in found["issues"][0]["reason"]
    assert_problem(client.post("/v1/requirements", json={"rows": []}), 422)
    mixed = [rows[0], dict(rows[1], interval_start="2026-03-02T08:15+02:00")]
    found = assert_problem(client.post("/v1/requirements", json={"rows": mixed}), 422, "invalid_input")["issues"]
    assert [(i["path"], i["source"]) for i in found] == [("rows[1].interval_start", "body")]
    assert "UTC offset" in found[0]["reason"]
    found = assert_problem(client.post("/v1/requirements", json={"rows": rows, "interval_minutes": 7}), 422)
    assert found["issues"][0]["path"] == "interval_minutes" and "got 7" in found["issues"][0]["reason"]
    hourly = [dict(rows[0], interval_start=f"2026-03-02T{h:02d}:00") for h in (8, 9, 10, 11)]
    found = assert_problem(client.post("/v1/requirements", json={"rows": hourly, "interval_minutes": 15}), 422)
    assert found["issues"][0]["reason"] == "the forecast's interval starts are 60 minutes apart (most often), not 15"
    far = [rows[0], dict(rows[1], interval_start="2036-03-02T08:15")]
    found = assert_problem(client.post("/v1/requirements", json={"rows": far}), 422)
    assert found["issues"][0]["path"] == "interval_minutes"
    assert "the most frequent gap between a skill's interval starts is" in found["issues"][0]["reason"]


def test_health(make_client: MakeClient) -> None:
    """Tests that health reports the version, the queue depth and the workers, without a key."""
    client = make_client(workers=0, api_keys=["k"])
    submit(client, None, **{"X-API-Key": "k"})
    health = client.get("/v1/health").json()
    assert health["version"] and health["queue_depth"] == 1 and health["running"] == 0
    assert health["workers"] == {"configured": 0, "alive": 0, "executor": "thread"}
    assert health["status"] == "ok"
    running = make_client(workers=2).get("/v1/health").json()
    assert running["workers"]["alive"] == 2 and running["status"] == "ok"
    # A job still running long after its time limit (a solve that does not stop) degrades the status.
    store = client.app.state.store
    job = store.claim_next("w")
    assert job is not None and client.get("/v1/health").json()["overdue"] == []
    with store._write() as c:  # started two minutes ago, with a limit of seconds
        c.execute("UPDATE jobs SET started_at = ? WHERE id = ?", (
            (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)).isoformat(timespec="milliseconds"), job.id))
    health = client.get("/v1/health", headers={"X-API-Key": "k"}).json()
    assert health["status"] == "degraded" and health["overdue"] == [job.id]


def test_unexpected_errors_are_503_not_500(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that a store failure is 503 with Retry-After and any other exception 503, never 500."""
    store = client.app.state.store

    def locked() -> dict[str, int]:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(store, "counts", locked)
    response = client.get("/v1/health")
    assert_problem(response, 503, "unavailable")
    assert response.headers["retry-after"] == "1"

    def bug() -> dict[str, int]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(store, "counts", bug)
    assert_problem(client.get("/v1/health"), 503, "internal_error")


def test_openapi_documents_responses_and_examples(client: TestClient) -> None:
    """Tests that the OpenAPI schema declares the error answers, the security scheme and examples."""
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/jobs"]["post"]
    assert {"202", "401", "413", "415", "422", "429"} <= set(post["responses"])
    for path, operation in spec["paths"].items():  # every body can be too large or not JSON
        if "requestBody" in operation.get("post", {}):
            assert {"413", "415"} <= set(operation["post"]["responses"]), path
    assert "Location" in post["responses"]["202"]["headers"]
    assert "tiny" in post["requestBody"]["content"]["application/json"]["examples"]
    job = spec["paths"]["/v1/jobs/{job_id}"]
    assert {"200", "404", "422"} <= set(job["get"]["responses"]) and {"202", "404", "409"} <= set(
        job["delete"]["responses"])
    assert {"200", "404", "409"} <= set(spec["paths"]["/v1/jobs/{job_id}/schedule"]["get"]["responses"])
    assert "text/event-stream" in spec["paths"]["/v1/jobs/{job_id}/events"]["get"]["responses"]["200"]["content"]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert "security" not in spec["paths"]["/v1/health"]["get"]
    assert set(spec["components"]["schemas"]["Problem"]["properties"]) == {"error", "detail", "issues"}


# -- durability (store level; the real restart is in the e2e test) ----------------------------------


def new_job(name: str = "tiny") -> NewJob:
    return NewJob(instance_name=name, instance_json=json.dumps(TINY_INSTANCE), settings_json="{}",
                  previous_schedule_json=None, time_limit_s=1, solver_workers=1, request_hash="h",
                  idempotency_key=None, api_key_hash="", notes=[])


def test_store_is_wal_and_interrupted_jobs_run_once_more(tmp_path: Path) -> None:
    """Tests that a running job found at start-up is re-queued once, then failed; cancel-requested ones end."""
    store = JobStore(tmp_path / "jobs.db")
    store.init()
    assert store.journal_mode() == "wal"
    job = store.submit(new_job(), 10).job
    assert job is not None
    claim = store.claim_next("w")
    assert claim is not None and claim.attempts == 1
    assert store.interrupt_running("server stopped", max_attempts=2) == [(job.id, "queued")]
    row = store.get(job.id)
    assert row is not None and row.status == "queued" and row.interruptions == 1 and "re-queued" in row.notes
    second = store.claim_next("w")
    assert second is not None and second.attempts == 2
    assert not store.write_progress(job.id, claim.claim_token, {"x": 1})  # the first claim is stale
    assert store.interrupt_running("server stopped", max_attempts=2) == [(job.id, "failed")]
    row = store.get(job.id)
    assert row is not None and row.status == "failed" and row.error_code == "interrupted"
    assert "interrupted 2 time(s)" in (row.error_message or "") and row.finished_at
    assert not store.finish(job.id, second.claim_token, "succeeded")

    other = store.submit(new_job(), 10).job
    assert other is not None and store.claim_next("w") is not None
    assert store.request_cancel(other.id) == "requested"
    assert store.interrupt_running("server stopped", max_attempts=2) == [(other.id, "cancelled")]


def test_restart_runs_queued_and_interrupted_jobs(tmp_path: Path) -> None:
    """Tests that a new server on the same store runs the queued jobs and the interrupted one."""
    db = tmp_path / "jobs.db"
    store = JobStore(db)
    store.init()
    queued = store.submit(new_job(), 10).job
    running = store.submit(new_job(), 10).job
    assert queued is not None and running is not None
    store.claim_next("dead-worker")  # the oldest: `queued`
    store.close()
    with TestClient(create_app(service_settings(db))) as client:
        for job_id in (queued.id, running.id):
            job = wait_for(client, job_id)
            assert job["status"] == "succeeded", job
        assert client.get(f"/v1/jobs/{queued.id}").json()["interruptions"] == 1
        assert client.get(f"/v1/jobs/{queued.id}").json()["attempts"] == 2


def test_shutdown_puts_the_running_job_back_in_the_queue(tmp_path: Path) -> None:
    """Tests that a graceful shutdown stops a running solve and re-queues its job without using an attempt."""
    db = tmp_path / "jobs.db"
    with TestClient(create_app(service_settings(db))) as client:
        job = submit(client, {"instance": demo_instance(), "settings": {"time_limit_s": 60, "workers": 1}})
        wait_for(client, job["id"], {"running"})
        started = time.monotonic()
    assert time.monotonic() - started < 10
    row = JobStore(db).get(job["id"])
    assert row is not None and row.status == "queued" and row.attempts == 0 and row.interruptions == 0
    assert row.notes == ["run stopped by a server shutdown; re-queued"] and row.progress is None


def test_a_cancel_that_meets_a_shutdown_is_recorded_as_cancelled(tmp_path: Path) -> None:
    """A DELETE (202) just before a shutdown: the watcher saw the shutdown first and put the job back
    in the queue, still flagged; it was reported queued and ran again after the restart."""
    db = tmp_path / "jobs.db"
    with TestClient(create_app(service_settings(db, cancel_poll_s=1.0))) as client:
        job = submit(client, {"instance": demo_instance(), "settings": {"time_limit_s": 60, "workers": 1}})
        wait_for(client, job["id"], {"running"})
        assert client.delete(job["url"]).status_code == 202  # the watcher reads it at its next poll
    row = JobStore(db).get(job["id"])
    assert row is not None and row.status == "cancelled" and row.attempts == 1 and row.finished_at


def test_a_solve_that_ignores_a_cancel_is_abandoned_with_its_job_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that a worker process whose solve does not stop after a cancel (it is inside code that
    never looks at the stop event) records the job as cancelled, then ends its process; a worker
    thread (can_exit False) waits instead."""
    store = JobStore(tmp_path / "jobs.db")
    store.init()
    released = threading.Event()
    exits: list[int] = []

    def deaf_solve(*args: Any) -> SolveResult:
        released.wait(10)  # ignores the stop event, as a long pure-Python loop would
        return SolveResult(instance="tiny", status="unknown")

    def fake_exit(code: int) -> None:
        exits.append(code)
        released.set()  # in a real worker the process ends here

    monkeypatch.setattr(worker_module, "run_solve", deaf_solve)
    monkeypatch.setattr(worker_module, "_exit_process", fake_exit)
    config = worker_module.WorkerConfig(db_path=str(tmp_path / "jobs.db"), cancel_poll_s=0.02, stop_grace_s=0.3)
    for can_exit in (True, False):
        submitted = store.submit(new_job(), 10).job
        assert submitted is not None
        job = store.claim_next("w")
        assert job is not None and job.id == submitted.id
        released.clear()
        threading.Timer(0.1, store.request_cancel, args=(job.id,)).start()
        if not can_exit:
            threading.Timer(1.0, released.set).start()
        worker_module.run_job(store, job, config, threading.Event(), lambda: True, can_exit=can_exit)
        row = store.get(job.id)
        assert row is not None
        if can_exit:
            assert row.status == "cancelled" and exits == [75]
            assert any("did not stop within 0.3 s of the cancel request" in n for n in row.notes)
        else:  # the thread waited for the solve, which ended as if the cancel came after it
            assert row.status == "succeeded" and exits == [75]
            assert not any("did not stop" in n for n in row.notes)
    store.close()


def test_one_server_per_store(tmp_path: Path) -> None:
    """Tests that a second server on the same job store refuses to start."""
    db = tmp_path / "jobs.db"
    with TestClient(create_app(service_settings(db, workers=0))):
        with pytest.raises(StoreLockedError), TestClient(create_app(service_settings(db, workers=0))):
            pass


def test_serve_refuses_a_job_store_it_cannot_open(tmp_path: Path) -> None:
    """Tests that `wfm serve --db` pointing at a folder, under a file, or at a file that is not a
    database exits 2 with the reason, before the server starts (was a traceback, exit 1 or 3)."""
    from typer.testing import CliRunner

    from optimizer.cli import app

    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("not a database", encoding="utf-8")
    for db, reason in ((tmp_path, "is a directory"), (not_a_db / "jobs.db", "is not a folder"),
                       (not_a_db, "cannot open the job store")):
        result = CliRunner().invoke(app, ["serve", "--db", str(db), "--workers", "0", "--port", "18999"])
        assert result.exit_code == 2, result.output
        assert f"--db {db}:" in result.output and reason in result.output
        assert "Traceback" not in result.output and "http://" not in result.output

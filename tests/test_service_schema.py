"""Schemathesis against the service's own OpenAPI schema: generated requests for every operation,
valid and invalid (positive and negative modes), asserting no 5xx, only documented status codes,
content types and headers, and bodies that match their declared schemas. Bounded: a few examples
per operation and mode, no deadline, a fixed seed-free Hypothesis run without its database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.main import create_app
from service.settings import ServiceSettings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]

OPERATIONS = [
    ("POST", "/v1/jobs"),
    ("GET", "/v1/jobs"),
    ("GET", "/v1/jobs/{job_id}"),
    ("DELETE", "/v1/jobs/{job_id}"),
    ("GET", "/v1/jobs/{job_id}/events"),
    ("GET", "/v1/jobs/{job_id}/schedule"),
    ("POST", "/v1/validate"),
    ("POST", "/v1/requirements"),
    ("GET", "/v1/health"),
]
MAX_EXAMPLES = 10


@pytest.fixture(scope="module")
def service_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    db: Path = tmp_path_factory.mktemp("schemathesis") / "jobs.db"
    app = create_app(ServiceSettings(
        db_path=db, executor="thread", workers=1, max_time_limit_s=1, max_solver_workers=1, max_queued_jobs=5,
        poll_s=0.05, sse_poll_s=0.05, sse_max_duration_s=0.5, api_keys=[],
    ))
    yield app  # schemathesis runs the lifespan (store, pool) on its first request
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def api_schema(service_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", service_app)


def test_every_operation_is_fuzzed(api_schema: schemathesis.BaseSchema) -> None:
    """Tests that the fuzzed list below covers every operation of the schema."""
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


CASES = [(m, p, mode) for m, p in OPERATIONS for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if not (p == "/v1/health" and mode == GenerationMode.NEGATIVE)]  # no input to get wrong


@pytest.mark.parametrize(("method", "path", "mode"), CASES,
                         ids=[f"{m} {p} {'valid' if mode == GenerationMode.POSITIVE else 'invalid'}"
                              for m, p, mode in CASES])
def test_api_conforms_to_its_schema(api_schema: schemathesis.BaseSchema, method: str, path: str,
                                    mode: GenerationMode) -> None:
    """Tests that generated requests never get a 5xx and every answer matches the OpenAPI schema."""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    check()

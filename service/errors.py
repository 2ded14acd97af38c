"""Error answers: every error is a `Problem` body; nothing answers 500.

* invalid input: 422 with the issues, each `{path, reason, source}`; for an instance the path and
  reason are exactly those `wfm solve` prints (`agents[12].contract: unknown contract 'ft40'`);
* an unexpected exception: logged with its traceback, answered 503 (the request was not done);
  a busy or unavailable store: 503 with Retry-After;
* requests larger than `max_request_bytes`: 413, before the body is read when Content-Length says so.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optimizer.domain.instance import FieldIssue, field_path
from service.schemas import Issue, Problem

logger = logging.getLogger(__name__)

ERROR_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "request_too_large", 415: "unsupported_media_type",
    422: "invalid_input", 429: "too_many_queued_jobs", 503: "unavailable",
}

BODY_SOURCES = ("instance", "settings", "previous_schedule", "schedule")


class ApiError(Exception):
    def __init__(self, status: int, detail: str, *, error: str | None = None, issues: Iterable[Issue] = (),
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.problem = Problem(error=error or ERROR_CODES.get(status, "error"), detail=detail, issues=list(issues))
        self.headers = headers


def problem_response(status: int, problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.model_dump(mode="json"), status_code=status, headers=headers)


def issues_from_instance_error(issues: Iterable[FieldIssue], source: str) -> list[Issue]:
    return [Issue(path=i.path, reason=i.reason, source=source) for i in issues]


def _reason(error: dict[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    if error.get("type") == "json_invalid":
        ctx = error.get("ctx") or {}
        return f"not valid JSON ({ctx.get('error', 'parse error')})"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def issues_from_request_error(errors: Iterable[dict[str, Any]]) -> list[Issue]:
    """FastAPI's locations are ("body", "instance", "agents", 12, ...): the first names where the
    value came from, the second (for bodies) which document; the rest is the path inside it."""
    out = []
    for error in errors:
        loc = list(error.get("loc", ()))
        where = str(loc.pop(0)) if loc else "body"
        source = where
        if where == "body":
            if error.get("type") == "json_invalid":
                loc = []
            elif len(loc) > 1 and loc[0] in BODY_SOURCES:
                source = str(loc.pop(0))
        path, reason = field_path(loc), _reason(error)
        if source == "header":  # ASGI lower-cases header names; name it as documented (Idempotency-Key)
            path = "-".join(word.capitalize() for word in path.split("-"))
            if error.get("type") == "string_pattern_mismatch":
                reason = "printable ASCII characters only, no spaces"
        out.append(Issue(path=path, reason=reason, source=source))
    return out


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    whole_body = any(tuple(e.get("loc", ())) == ("body",) for e in exc.errors())
    if whole_body and request.method in ("POST", "PUT", "PATCH"):
        content_type = request.headers.get("content-type", "")
        media = content_type.split(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):  # FastAPI reads JSON only then
            return problem_response(415, Problem(
                error="unsupported_media_type",
                detail=f"send the body as JSON with Content-Type: application/json (got "
                       f"{content_type or 'no Content-Type'})"))
        if not await request.body():
            return problem_response(422, Problem(error="invalid_input", detail="invalid input (body): 1 issue(s)",
                                                 issues=[Issue(path="", reason="the body is empty", source="body")]))
    issues = issues_from_request_error(exc.errors())
    sources = sorted({i.source for i in issues})
    return problem_response(422, Problem(error="invalid_input", detail=f"invalid input ({', '.join(sources)}): "
                                         f"{len(issues)} issue(s)", issues=issues))


async def _api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem_response(exc.status, exc.problem, exc.headers)


async def _http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code if exc.status_code < 500 else 503
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    # the router's own answers name neither the method nor the path (a job id with a "/" read as a
    # missing job)
    if status == 404 and detail == "Not Found":
        detail = f"no endpoint {request.method} {request.url.path}"
    elif status == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}"
    if status == 400:  # FastAPI could not read the body (not UTF-8, ...): invalid input like any other
        cause = exc.__cause__
        reason = f"not valid JSON ({cause})" if cause is not None else "not valid JSON"
        return problem_response(422, Problem(error="invalid_input", detail=detail,
                                             issues=[Issue(path="", reason=reason, source="body")]))
    return problem_response(status, Problem(error=ERROR_CODES.get(status, "error"), detail=detail),
                            dict(exc.headers) if exc.headers else None)


async def _store_error_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.error("job store error on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(503, Problem(error="unavailable", detail="the job store is busy or unavailable; retry"),
                            {"Retry-After": "1"})


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(ApiError, _api_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(sqlite3.Error, _store_error_handler)


async def _send_problem(send: Send, status: int, problem: Problem, headers: dict[str, str] | None = None) -> None:
    body = problem.model_dump_json().encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class CatchAllMiddleware:
    """The last line: an exception no handler took is logged and answered 503, never 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _send_problem(send, 503, Problem(error="internal_error",
                                                       detail="the request could not be processed; it was logged"))


class BodySizeLimitMiddleware:
    """413 for bodies over `max_bytes`: at once from Content-Length, else while the body streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> Problem:
        return Problem(error="request_too_large", detail=f"the request body exceeds {self.max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    await _send_problem(send, 400, Problem(error="bad_request", detail="invalid Content-Length"))
                    return
                if length > self.max_bytes:
                    await _send_problem(send, 413, self._too_large())
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # an HTTPException passes FastAPI's body reading unchanged, to the 413 handler
                    raise StarletteHTTPException(413, self._too_large().detail)
            return message

        await self.app(scope, limited_receive, send)

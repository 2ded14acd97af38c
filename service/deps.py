"""Dependencies: the settings, the job store, the worker pool, the caller's identity, and a check
of the body's text that pydantic does not make."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from optimizer.domain.instance import field_path
from optimizer.io.files import SURROGATE_ESCAPE, UNPAIRED_SURROGATE, unpaired_surrogate
from service.errors import BODY_SOURCES, ApiError
from service.pool import WorkerPool
from service.schemas import Issue
from service.settings import ServiceSettings
from service.store import JobStore

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False,
    description="Required when the server is configured with API keys (WFM_API_KEYS).",
)


def get_settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


def get_store(request: Request) -> JobStore:
    store: JobStore = request.app.state.store
    return store


def get_pool(request: Request) -> WorkerPool:
    pool: WorkerPool = request.app.state.pool
    return pool


SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
StoreDep = Annotated[JobStore, Depends(get_store)]
PoolDep = Annotated[WorkerPool, Depends(get_pool)]


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def get_owner(settings: SettingsDep, api_key: Annotated[str | None, Security(api_key_header)]) -> str | None:
    """The caller's key hash (jobs are scoped to it), or None when the server has no keys."""
    if not settings.api_keys:
        return None
    if api_key:
        for known in settings.api_keys:
            if hmac.compare_digest(api_key.encode(), known.encode()):
                return key_hash(known)
    raise ApiError(401, "missing or invalid API key (header X-API-Key)", error="unauthorized",
                   headers={"WWW-Authenticate": "APIKey"})


OwnerDep = Annotated[str | None, Depends(get_owner)]


_SURROGATE_ESCAPE_BYTES = re.compile(SURROGATE_ESCAPE.pattern.encode())


async def text_is_unicode(request: Request) -> None:
    """422 for a JSON body with an unpaired surrogate in a string (written as a \\ud800 escape, or as
    its UTF-8-style bytes, which Python's JSON parser lets through): pydantic accepts such strings,
    and the job could then not be stored nor a response written (a 503, far from the cause)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    body = await request.body()  # cached: FastAPI parses the same bytes
    if b"\xed" not in body and not _SURROGATE_ESCAPE_BYTES.search(body):  # the bytes of one, or an escape
        return
    try:
        data = json.loads(body)
    except ValueError:
        return  # FastAPI answers that itself
    where = unpaired_surrogate(data)
    if where is None:
        return
    source = "body"
    if len(where) > 1 and where[0] in BODY_SOURCES:
        source, where = str(where[0]), where[1:]
    raise ApiError(422, f"invalid input ({source}): 1 issue(s)", error="invalid_input",
                   issues=[Issue(path=field_path(where), reason=UNPAIRED_SURROGATE, source=source)])

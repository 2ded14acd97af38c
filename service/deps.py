"""Dependencies: the settings, the job store, the worker pool and the caller's identity."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from service.errors import ApiError
from service.pool import WorkerPool
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

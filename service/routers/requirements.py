"""/v1/requirements: forecast rows -> required agents per skill and interval (Erlang C / Erlang A,
chat concurrency, deferred work, shrinkage), with the demand rows ready for an instance."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field

from optimizer.domain.inputs import InputModel
from optimizer.requirements import ForecastError, ForecastRow, compute_requirements
from service.deps import OwnerDep, text_is_unicode
from service.errors import ApiError, issues_from_instance_error
from service.schemas import AUTH, BODY_ERRORS, Issue, Problem

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["tools"], dependencies=[Depends(text_is_unicode)])

MAX_AGENTS_CAP = 20_000


class RequirementsRequest(InputModel):
    rows: list[ForecastRow] = Field(min_length=1, description="One row per skill and interval.")
    interval_minutes: int | None = Field(
        default=None, ge=1, le=1440,
        description="Interval length; default: the most frequent gap between a skill's interval starts.")
    max_agents: int = Field(default=5_000, ge=1, le=MAX_AGENTS_CAP,
                            description="A target needing more agents in an interval is an error.")


class RequirementRow(BaseModel):
    """One row per forecast row, in its order. Measures that do not apply are null (queue measures
    for deferred work, the backlog for queues)."""

    model_config = ConfigDict(extra="allow")

    skill: str
    channel: str
    interval_start: dt.datetime
    model: str = Field(description="erlang_c, erlang_a or deferred.")
    required_net: int = Field(description="Productive agents the targets need.")
    required_scheduled: int = Field(description="Net grossed up by shrinkage other than breaks: the "
                                    "schedule engine's demand (it places breaks itself).")
    required_gross: int = Field(description="Net grossed up by all shrinkage.")
    binding: str = Field(description="The target that set required_net.")


class DemandRow(BaseModel):
    skill: str
    required: list[int] = Field(description="required_scheduled per interval, in time order.")


class RequirementsResponse(BaseModel):
    interval_minutes: int
    rows: list[RequirementRow]
    demand: list[DemandRow] = Field(description="The instance format's `demand` rows (required_scheduled).")


EXAMPLE = {
    "rows": [
        {"interval_start": "2026-03-02T08:00", "volume": 120, "aht_s": 300, "skill": "voice",
         "targets": {"service_level": 0.8, "threshold_s": 20}, "shrinkage": {"breaks": 0.1, "absence": 0.05}},
        {"interval_start": "2026-03-02T08:15", "volume": 150, "aht_s": 300, "skill": "voice",
         "targets": {"service_level": 0.8, "threshold_s": 20}, "shrinkage": {"breaks": 0.1, "absence": 0.05}},
    ],
}


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@router.post(
    "/requirements",
    response_model=RequirementsResponse,
    summary="Required agents from a forecast",
    description=(
        "Turns forecast rows (volume, handle time, targets, shrinkage per skill and interval) into required "
        "agents: Erlang C, or Erlang A when `patience_s` is given; chat with concurrency; email and back office "
        "as deferred work with a response time. Invalid rows get 422 with paths such as `rows[3].aht_s` "
        "(the same reasons as `wfm requirements`). Nothing is stored."
    ),
    responses={
        **AUTH, **BODY_ERRORS,
        422: {"model": Problem, "description": "Invalid forecast (issues with paths)."},
    },
)
def requirements(
    payload: Annotated[RequirementsRequest, Body(openapi_examples={"voice": {"summary": "Two voice intervals",
                                                                            "value": EXAMPLE}})],
    owner: OwnerDep,
) -> RequirementsResponse:
    try:
        result = compute_requirements(payload.rows, interval_minutes=payload.interval_minutes,
                                      max_agents=payload.max_agents)
    except ForecastError as exc:
        raise ApiError(422, f"the forecast cannot be turned into requirements ({len(exc.issues)} issue(s))",
                       error="invalid_input", issues=issues_from_instance_error(exc.issues, "body")) from None
    except (ArithmeticError, ValueError) as exc:
        logger.info("requirements: %s", exc)
        raise ApiError(422, "the forecast cannot be turned into requirements", error="invalid_input",
                       issues=[Issue(path="rows", reason=str(exc), source="body")]) from None
    rows = [RequirementRow.model_validate({k: _json_number(v) for k, v in asdict(r).items()}) for r in result.rows]
    demand = [DemandRow(skill=skill, required=counts) for skill, counts in result.by_skill("scheduled").items()]
    return RequirementsResponse(interval_minutes=result.interval_minutes, rows=rows, demand=demand)

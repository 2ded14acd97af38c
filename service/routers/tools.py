"""/v1/validate: the independent validator over HTTP."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body, Depends

from optimizer.domain.instance import instance_errors
from optimizer.validate import unusable_row, validate
from optimizer.validate.kpis import schedule_kpis
from service.deps import OwnerDep, text_is_unicode
from service.errors import ApiError, issues_from_instance_error
from service.examples import VALIDATE_EXAMPLE
from service.schemas import AUTH, BODY_ERRORS, Issue, Problem, ValidateRequest, ValidateResponse

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["tools"], dependencies=[Depends(text_is_unicode)])


@router.post(
    "/validate",
    response_model=ValidateResponse,
    summary="Check a schedule against an instance",
    description=(
        "Runs the independent validator (`wfm validate`): every hard rule, the coverage and every objective "
        "term recomputed from the schedule's own datetimes; `ok` when no hard rule is broken and the "
        "schedule's reported numbers match. Also the KPIs, recomputed. Nothing is stored."
    ),
    responses={
        **AUTH, **BODY_ERRORS,
        422: {"model": Problem, "description": "Invalid instance or schedule (issues with paths)."},
    },
)
def validate_schedule(
    payload: Annotated[ValidateRequest, Body(openapi_examples={"one_shift": {
        "summary": "One shift of the tiny instance", "value": VALIDATE_EXAMPLE}})],
    owner: OwnerDep,
) -> ValidateResponse:
    issues = instance_errors(payload.instance)
    if issues:
        raise ApiError(422, f"the instance is not a valid input ({len(issues)} issue(s))", error="invalid_input",
                       issues=issues_from_instance_error(issues, "instance"))
    try:
        report = validate(payload.instance, payload.schedule)
        kpis = schedule_kpis(payload.instance, payload.schedule)
    except (ArithmeticError, ValueError) as exc:  # e.g. date-times that overflow in the horizon's zone
        logger.info("validate: unusable schedule: %s", exc)
        raise ApiError(422, "the schedule cannot be checked", error="invalid_input",
                       issues=[Issue(path=unusable_row(payload.instance, payload.schedule, also=schedule_kpis),
                                     reason=str(exc), source="schedule")]) from None
    return ValidateResponse(ok=report.ok, hard=report.hard, soft=report.soft, terms=report.terms,
                            objective=report.objective, mismatches=report.mismatches, kpis=kpis)

"""The base of every model read from users' JSON (instances, forecasts, re-optimization input,
service request bodies).

Why not plain pydantic: its lax mode reads JSON `true` and `false` as 1 and 0 wherever a number
belongs (`"volume": [12, true]` became 12 and 1 contacts, `"time_limit_s": true` one second). A
boolean there is a mistake in the file, so it is an error naming the field, like any other.
Strings such as `"15"` stay accepted as numbers (pydantic's lax reading, which is unambiguous).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

Location = tuple[int | str, ...]


class InputModel(BaseModel):
    """Unknown fields are errors; so is a boolean where the field wants a number."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        annotation = cls.model_fields[info.field_name].annotation
        misplaced = list(misplaced_booleans(annotation, value))
        if misplaced:
            raise ValidationError.from_exception_data(cls.__name__, [
                InitErrorDetails(type=PydanticCustomError("number_not_boolean", "a number is required, not {value}",
                                                          {"value": "true" if flag else "false"}),
                                 loc=loc, input=flag)
                for loc, flag in misplaced])
        return value


class FrozenInputModel(InputModel):
    """An `InputModel` whose instances cannot change after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def misplaced_booleans(annotation: Any, value: Any, loc: Location = ()) -> Iterator[tuple[Location, bool]]:
    """(location inside `value`, the boolean) of each boolean in `value` where `annotation` wants a
    number and no boolean; lists and dictionaries are followed into their items."""
    if isinstance(value, bool):
        numbers, booleans = _accepts(annotation)
        if numbers and not booleans:
            yield loc, value
    elif isinstance(value, list):
        item = _container_item(annotation, list)
        if item is not None:
            for index, element in enumerate(value):
                yield from misplaced_booleans(item, element, (*loc, index))
    elif isinstance(value, dict):
        item = _container_item(annotation, dict)
        if item is not None:
            for key, element in value.items():
                yield from misplaced_booleans(item, element, (*loc, key))


def _members(annotation: Any) -> list[Any]:
    """The alternatives of an annotation: Annotated[...] unwrapped, unions split."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [member for arg in typing.get_args(annotation) for member in _members(arg)]
    return [annotation]


def _accepts(annotation: Any) -> tuple[bool, bool]:
    """(whether a number is one of the alternatives, whether a boolean or anything is)."""
    members = _members(annotation)
    numbers = any(member in (int, float) for member in members)
    booleans = any(member is bool or member is Any for member in members)
    return numbers, booleans


def _container_item(annotation: Any, container: type) -> Any | None:
    """The item annotation of the list (or the value annotation of the dict) among the
    alternatives of `annotation`; None when it has none."""
    for member in _members(annotation):
        if typing.get_origin(member) is container:
            args = typing.get_args(member)
            return args[-1] if args else None
    return None

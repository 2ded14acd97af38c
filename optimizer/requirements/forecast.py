"""The forecast format: one row per skill and interval, as typed pydantic models, and its CSV form.

A row says how many contacts arrive in the interval that starts at ``interval_start`` (``volume``),
their average handle time (``aht_s``), the channel (voice, chat, email, backoffice), the targets
and the shrinkage. Every error names its field and the reason, as `ForecastError` (a subclass of
the instance format's `InstanceError`, so callers report both the same way)::

    rows[3].aht_s: must be greater than 0 (got 0.0)
    line 14.service_level: is a fraction and must be at most 1 (got 80.0; write 0.8 for 80%)

CSV columns (header names; only the first three are required, empty cells take the default):

=========================  ======================================================================
``interval_start``         ISO date-time of the interval start (``2025-03-03T08:00``)
``volume``                 contacts arriving in the interval (>= 0)
``aht_s``                  average handle time, seconds (> 0)
``skill``                  queue name (default ``default``); one channel per skill
``channel``                ``voice`` (default), ``chat``, ``email`` or ``backoffice``
``service_level``          fraction answered within ``threshold_s`` (0 <= x < 1)
``threshold_s``            service-level threshold, seconds (default 20)
``asa_s``                  maximum average speed of answer, seconds (> 0)
``max_occupancy``          maximum occupancy (0 < x <= 1)
``patience_s``             mean patience: when given, Erlang A (abandonment) instead of Erlang C
``max_abandonment``        maximum fraction of offered contacts abandoning (Erlang A only)
``concurrency``            chats an agent handles at once (chat only, default 1)
``concurrency_efficiency`` share of the concurrency actually used (chat only, default 1)
``response_time_s``        deferred work: every item finished within this time (email, backoffice)
``shrinkage``              shrinkage without breakdown (the ``other`` component)
``shrinkage_breaks``       shrinkage components, fractions of paid time; they add up
``shrinkage_training``
``shrinkage_absence``
=========================  ======================================================================
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from optimizer.domain.forecast import MAX_CONCURRENCY
from optimizer.domain.inputs import FrozenInputModel
from optimizer.domain.instance import FieldIssue, InstanceError

__all__ = [
    "CSV_COLUMNS",
    "Channel",
    "ForecastError",
    "ForecastRow",
    "Shrinkage",
    "Targets",
    "read_forecast_csv",
    "parse_forecast_rows",
]

Channel = Literal["voice", "chat", "email", "backoffice"]
DEFERRED_CHANNELS = ("email", "backoffice")
PATIENCE_MAX_HANDLE_TIMES = 1_000
"""A mean patience of more than this many (effective) handle times is refused. Contacts that
patient almost never abandon (Erlang C is the model), and Erlang A's figures lose accuracy far
beyond it (checked against a birth-death chain: exact to 1e-6 up to 1,000 handle times at loads up
to 5,000 Erlangs; at 1e5 handle times P(wait) 0.955 against 0.961 and ASA 4,609 s against 283 s;
40 agents reported where Erlang C needs 46 at a patience of 1e100 s)."""


class ForecastError(InstanceError):
    """A forecast that cannot be turned into requirements; ``issues`` name each field and reason."""


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number (got {value})")
    return value


def _fraction(value: float | None, *, allow_zero: bool = True, allow_one: bool = True) -> float | None:
    if value is None:
        return None
    _finite(value)
    if value > 1:
        raise ValueError(f"is a fraction and must be at most 1 (got {value}; write 0.8 for 80%)")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"must be {'at least 0' if allow_zero else 'greater than 0'} (got {value})")
    if value == 1 and not allow_one:
        raise ValueError("cannot be 100%: no finite number of agents reaches it")
    return value


def _positive(value: float | None) -> float | None:
    if value is None:
        return None
    _finite(value)
    if value <= 0:
        raise ValueError(f"must be greater than 0 (got {value})")
    return value


class Targets(FrozenInputModel):
    """What the staffing must achieve in the interval. Unset targets do not constrain."""

    service_level: float | None = Field(
        default=None, description="Fraction of offered contacts answered within `threshold_s` (0 <= x < 1).")
    threshold_s: float = Field(default=20.0, description="Service-level threshold, seconds (>= 0).")
    asa_s: float | None = Field(
        default=None, description="Maximum mean wait over all offered contacts, seconds (> 0).")
    max_occupancy: float | None = Field(default=None, description="Maximum occupancy (0 < x <= 1).")
    patience_s: float | None = Field(
        default=None, description="Mean patience, seconds: set it for Erlang A (abandonment).")
    max_abandonment: float | None = Field(
        default=None, description="Maximum fraction of offered contacts abandoning (Erlang A, 0 < x <= 1).")
    concurrency: int = Field(default=1, description="Chats an agent handles at once (chat only).")
    concurrency_efficiency: float = Field(
        default=1.0, description="Share of the concurrency actually realised, 0 < x <= 1 (chat only).")
    response_time_s: float | None = Field(
        default=None, description="Deferred work: each item finished within this time, seconds.")

    @field_validator("service_level")
    @classmethod
    def _sl(cls, v: float | None) -> float | None:
        return _fraction(v, allow_one=False)

    @field_validator("max_occupancy")
    @classmethod
    def _occ(cls, v: float | None) -> float | None:
        if v is not None and v == 0:
            raise ValueError("a maximum occupancy of 0 cannot be met: no agent may take any contact")
        return _fraction(v, allow_zero=False)

    @field_validator("max_abandonment")
    @classmethod
    def _ab(cls, v: float | None) -> float | None:
        if v is not None and v == 0:
            raise ValueError("a maximum abandonment of 0 cannot be met: with finite patience some "
                             "contacts always abandon")
        return _fraction(v, allow_zero=False)

    @field_validator("concurrency_efficiency")
    @classmethod
    def _eff(cls, v: float) -> float:
        return _fraction(v, allow_zero=False)  # type: ignore[return-value]

    @field_validator("threshold_s")
    @classmethod
    def _threshold(cls, v: float) -> float:
        _finite(v)
        if v < 0:
            raise ValueError(f"must not be negative (got {v})")
        return v

    @field_validator("asa_s")
    @classmethod
    def _asa(cls, v: float | None) -> float | None:
        if v is not None and v == 0:
            raise ValueError("an average speed of answer of 0 s cannot be met: some contacts always wait")
        return _positive(v)

    @field_validator("patience_s", "response_time_s")
    @classmethod
    def _pos(cls, v: float | None) -> float | None:
        return _positive(v)

    @field_validator("concurrency")
    @classmethod
    def _conc(cls, v: int) -> int:
        if v < 1:
            raise ValueError(f"must be at least 1 (got {v})")
        if v > MAX_CONCURRENCY:
            raise ValueError(f"must be at most {MAX_CONCURRENCY} chats at once (got {v})")
        return v


class Shrinkage(FrozenInputModel):
    """Shares of paid time in which agents do not take contacts; the components add up.

    ``breaks`` are reported separately because the schedule engine places breaks itself: its
    demand should be grossed up by the other components only (`IntervalRequirement.required_scheduled`)."""

    breaks: float = 0.0
    training: float = 0.0
    absence: float = 0.0
    other: float = 0.0

    @field_validator("breaks", "training", "absence", "other")
    @classmethod
    def _share(cls, v: float) -> float:
        _fraction(v)
        if v == 1:
            raise ValueError("a shrinkage of 100% leaves no productive time")
        return v

    @model_validator(mode="after")
    def _sum(self) -> Shrinkage:
        if self.total >= 1:
            raise ValueError(f"the components add up to {self.total:.0%}: no productive time is left")
        return self

    @property
    def total(self) -> float:
        return self.breaks + self.training + self.absence + self.other

    @property
    def without_breaks(self) -> float:
        return self.training + self.absence + self.other


class ForecastRow(FrozenInputModel):
    """One skill and interval of a forecast."""

    interval_start: dt.datetime
    volume: float = Field(description="Contacts arriving in the interval (>= 0).")
    aht_s: float = Field(description="Average handle time, seconds (> 0).")
    channel: Channel = "voice"
    skill: str = Field(default="default", min_length=1)
    targets: Targets = Targets()
    shrinkage: Shrinkage = Shrinkage()

    @field_validator("volume")
    @classmethod
    def _volume(cls, v: float) -> float:
        _finite(v)
        if v < 0:
            raise ValueError(f"must not be negative (got {v})")
        return v

    @field_validator("aht_s")
    @classmethod
    def _aht(cls, v: float) -> float:
        _finite(v)
        if v <= 0:
            raise ValueError(f"must be greater than 0 (got {v})")
        return v

    @property
    def effective_aht_s(self) -> float:
        """Handle time the queue model sees: ``aht_s / (concurrency * efficiency)`` for chat."""
        if self.channel == "chat":
            return self.aht_s / (self.targets.concurrency * self.targets.concurrency_efficiency)
        return self.aht_s

    def channel_issues(self) -> list[tuple[str, str]]:
        """Target combinations that do not fit the channel or cannot be reached: (field, reason)."""
        t = self.targets
        out: list[tuple[str, str]] = []
        if self.channel in DEFERRED_CHANNELS:
            if t.response_time_s is None:
                out.append(("targets.response_time_s", f"is required for {self.channel} (deferred work)"))
            elif t.response_time_s < self.aht_s:
                out.append(("targets.response_time_s",
                            f"{t.response_time_s:g} s is shorter than the handle time {self.aht_s:g} s: "
                            "no number of agents finishes an item in time"))
            for name in ("service_level", "asa_s", "patience_s", "max_abandonment"):
                if getattr(t, name) is not None:
                    out.append((f"targets.{name}", f"does not apply to {self.channel} (deferred work); "
                                "use response_time_s"))
            return out
        if t.service_level is None and t.asa_s is None and t.max_occupancy is None \
                and t.max_abandonment is None:
            out.append(("targets", f"{self.channel} needs a target: service_level, asa_s, max_occupancy "
                        "or max_abandonment"))
        if t.response_time_s is not None:
            out.append(("targets.response_time_s", f"applies to email and backoffice, not {self.channel}"))
        handle_s = self.effective_aht_s
        if t.patience_s is not None and t.patience_s > PATIENCE_MAX_HANDLE_TIMES * handle_s:
            out.append(("targets.patience_s",
                        f"{t.patience_s:g} s is more than {PATIENCE_MAX_HANDLE_TIMES:,} times the handle time "
                        f"({handle_s:g} s): contacts that patient almost never abandon, and Erlang A loses "
                        "accuracy there; leave patience_s out to use Erlang C (no abandonment)"))
        if t.asa_s is not None and t.patience_s is not None and t.asa_s >= t.patience_s:
            # Erlang A: the mean wait of all offered contacts is P(abandon) x patience, below the patience
            out.append(("targets.asa_s",
                        f"{t.asa_s:g} s is not below patience_s ({t.patience_s:g} s): with abandonment the mean "
                        "wait of all offered contacts stays below the mean patience, so this target is met by "
                        "1 agent at any load; set a lower asa_s or leave it out"))
        if t.max_abandonment is not None and t.patience_s is None:
            out.append(("targets.max_abandonment", "needs patience_s (abandonment is modelled by Erlang A)"))
        if self.channel != "chat" and (t.concurrency != 1 or t.concurrency_efficiency != 1):
            name = "concurrency" if t.concurrency != 1 else "concurrency_efficiency"
            out.append((f"targets.{name}", f"applies to chat only, not {self.channel}"))
        return out


# --- CSV --------------------------------------------------------------------------------------

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "interval_start": ("interval_start",),
    "volume": ("volume",),
    "aht_s": ("aht_s",),
    "skill": ("skill",),
    "channel": ("channel",),
    **{name: ("targets", name) for name in Targets.model_fields},
    "shrinkage": ("shrinkage", "other"),
    "shrinkage_breaks": ("shrinkage", "breaks"),
    "shrinkage_training": ("shrinkage", "training"),
    "shrinkage_absence": ("shrinkage", "absence"),
}
"""CSV header -> field path in `ForecastRow`."""

_FIELD_TO_COLUMN = {".".join(path): column for column, path in CSV_COLUMNS.items()}

_QUEUE = ("voice", "chat")
COLUMN_CHANNELS: dict[str, tuple[str, ...]] = {
    "service_level": _QUEUE, "threshold_s": _QUEUE, "asa_s": _QUEUE, "patience_s": _QUEUE,
    "max_abandonment": _QUEUE, "concurrency": ("chat",), "concurrency_efficiency": ("chat",),
    "response_time_s": DEFERRED_CHANNELS,
}
"""Columns that only apply to some channels: a command-line override skips the other rows."""


class RowLocator:
    """Names rows in error messages: ``rows[3].aht_s`` for the API, ``line 5.aht_s`` for a CSV."""

    def __init__(self, lines: Sequence[int] | None = None) -> None:
        self.lines = lines

    def __call__(self, index: int, field: str = "") -> str:
        if self.lines is None:
            return f"rows[{index}]" + (f".{field}" if field else "")
        column = _FIELD_TO_COLUMN.get(field, field.split(".")[-1] if field else "")
        return f"line {self.lines[index]}" + (f".{column}" if column else "")


def _loc_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if not isinstance(p, int))


def _issues(error: ValidationError, index: int, locate: RowLocator) -> list[FieldIssue]:
    issues = []
    for item in error.errors(include_url=False):
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            reason = "unknown field"
        issues.append(FieldIssue(path=locate(index, _loc_path(tuple(item["loc"]))), reason=reason))
    return issues


def parse_forecast_rows(data: Iterable[Any], locate: RowLocator | None = None) -> list[ForecastRow]:
    """Validate raw rows (dicts or `ForecastRow`) into `ForecastRow`s, collecting every issue."""
    locate = locate or RowLocator()
    rows: list[ForecastRow] = []
    issues: list[FieldIssue] = []
    for i, item in enumerate(data):
        try:
            row = item if isinstance(item, ForecastRow) else ForecastRow.model_validate(item)
        except ValidationError as exc:
            issues.extend(_issues(exc, i, locate))
            continue
        issues.extend(FieldIssue(path=locate(i, f), reason=r) for f, r in row.channel_issues())
        if rows and (row.interval_start.tzinfo is None) != (rows[0].interval_start.tzinfo is None):
            issues.append(FieldIssue(path=locate(i, "interval_start"), reason=(
                f"{'has no' if row.interval_start.tzinfo is None else 'has a'} UTC offset, unlike "
                f"{locate(0, 'interval_start')}: write every interval start the same way")))
        rows.append(row)
    if issues:
        raise ForecastError(issues)
    return rows


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text  # pydantic reports it with the field name


def read_forecast_csv(
    path: str | Path,
    defaults: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
) -> tuple[list[ForecastRow], RowLocator]:
    """Read a forecast CSV (columns in `CSV_COLUMNS`). ``defaults`` fill empty or missing columns,
    ``overrides`` replace every row's value (the command line's flags); both are keyed by CSV
    column name. Returns the rows and a locator naming CSV lines in later errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ForecastError([FieldIssue(path=str(path), reason=exc.strerror or str(exc))]) from None
    except UnicodeDecodeError as exc:
        from optimizer.io.files import not_utf8

        raise ForecastError([FieldIssue(path=str(path), reason=not_utf8(exc))]) from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    issues = [FieldIssue(path=f"line 1.{h}", reason="unknown column (expected one of: "
                         + ", ".join(CSV_COLUMNS) + ")") for h in header if h and h not in CSV_COLUMNS]
    issues += [FieldIssue(path="line 1", reason=f"missing column '{c}'")
               for c in ("interval_start", "volume", "aht_s") if c not in header]
    if issues:
        raise ForecastError(issues)
    raw_rows: list[dict[str, Any]] = []
    lines: list[int] = []
    issues = []
    for lineno, record in enumerate(reader, start=2):
        cells = {k.strip(): (v or "").strip() for k, v in record.items() if k is not None}
        if not any(cells.values()):
            continue
        extra = [v for v in record.get(None) or [] if v.strip()]  # type: ignore[call-overload]
        if extra:  # cells past the header's columns: shifted data, not something to drop silently
            issues.append(FieldIssue(path=f"line {lineno}", reason=f"{len(header) + len(extra)} cells, but the header "
                                     f"has {len(header)} columns"))
            continue
        channel = cells.get("channel") or "voice"

        def applies(column: str, channel: str = channel) -> bool:
            return channel in COLUMN_CHANNELS.get(column, (channel,))

        values: dict[str, Any] = {k: v for k, v in (defaults or {}).items() if applies(k)}
        values.update({k: v for k, v in cells.items() if v != ""})
        values.update({k: v for k, v in (overrides or {}).items() if applies(k)})
        nested: dict[str, Any] = {}
        for column, value in values.items():
            target = CSV_COLUMNS[column]
            if isinstance(value, str) and column not in ("interval_start", "skill", "channel"):
                value = _number(value)
            if isinstance(value, float) and column == "concurrency" and value.is_integer():
                value = int(value)
            node = nested
            for key in target[:-1]:
                node = node.setdefault(key, {})
            node[target[-1]] = value
        raw_rows.append(nested)
        lines.append(lineno)
    if issues:
        raise ForecastError(issues)
    locate = RowLocator(lines)
    if not raw_rows:
        raise ForecastError([FieldIssue(path=str(path), reason="the forecast has no rows")])
    return parse_forecast_rows(raw_rows, locate), locate

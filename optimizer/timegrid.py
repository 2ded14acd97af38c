"""The one place that converts local date-times to and from engine time.

Engine time is integer minutes from the start of the horizon (`start_date` 00:00 local time);
interval `t` covers minutes [t * interval_minutes, (t + 1) * interval_minutes).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from optimizer.domain.instance import Horizon, TimeWindow


@dataclass(frozen=True)
class TimeGrid:
    horizon: Horizon

    @property
    def step(self) -> int:
        return self.horizon.interval_minutes

    @property
    def origin(self) -> dt.datetime:
        return dt.datetime.combine(self.horizon.start_date, dt.time())

    @property
    def num_intervals(self) -> int:
        return self.horizon.num_intervals

    @property
    def end_minute(self) -> int:
        return self.horizon.minutes

    def minute(self, when: dt.datetime) -> int:
        """Minutes from the horizon start (may be negative or past the end)."""
        return int((when.replace(tzinfo=None) - self.origin).total_seconds() // 60)

    def datetime(self, minute: int) -> dt.datetime:
        return self.origin + dt.timedelta(minutes=minute)

    def day_start(self, day: int) -> int:
        return day * 1440

    def day_of_date(self, date: dt.date) -> int:
        return self.horizon.day_of_date(date)

    def interval(self, minute: int) -> int:
        return minute // self.step

    def window(self, window: TimeWindow) -> tuple[int, int]:
        return self.minute(window.start), self.minute(window.end)

    def weekends(self) -> list[list[int]]:
        """Day indices of each weekend: a Saturday and the Sunday after it (a lone Sunday at the
        start or a lone Saturday at the end of the horizon is a weekend too)."""
        result: list[list[int]] = []
        for day in range(self.horizon.days):
            weekday = self.horizon.weekday_of_day(day)
            if weekday == "sat":
                result.append([d for d in (day, day + 1) if d < self.horizon.days])
            elif weekday == "sun" and day == 0:
                result.append([0])
        return result


def daylight_saving_changes(horizon: Horizon) -> list[tuple[dt.date, int]]:
    """The dates of the horizon on which the clocks of `horizon.timezone` change, each with the
    change in minutes (+60: forward, a 23-hour day). Engine time counts every day as 24 hours of
    wall-clock time, so on such a day it is off by the change."""
    zone = zoneinfo.ZoneInfo(horizon.timezone)
    changes = []
    for k in range(horizon.days):
        day = horizon.start_date + dt.timedelta(days=k)
        try:
            before = dt.datetime.combine(day, dt.time(), zone).utcoffset()
            after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).utcoffset()
        except OverflowError:  # the last day of year 9999
            break
        if before is not None and after is not None and before != after:
            changes.append((day, int((after - before).total_seconds()) // 60))
    return changes


def daylight_saving_notes(horizon: Horizon) -> list[str]:
    """What a planner should know when the horizon spans a daylight-saving change."""
    notes = []
    for day, minutes in daylight_saving_changes(horizon):
        direction = "forward" if minutes > 0 else "back"
        notes.append(
            f"{day}: the clocks of {horizon.timezone} go {direction} {abs(minutes)} minutes, and the engine counts "
            "every day as 24 hours of wall-clock time: a shift across the change is paid and counted by the "
            f"clock ({abs(minutes)} minutes {'more' if minutes > 0 else 'less'} than it lasts), and "
            + (f"the skipped {abs(minutes)} minutes do not exist" if minutes > 0
               else f"the repeated {abs(minutes)} minutes are counted once"))
    return notes

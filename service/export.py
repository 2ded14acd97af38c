"""The schedule as a flat CSV table: one row per shift."""

from __future__ import annotations

import csv
import datetime as dt
import io

from optimizer.domain.schedule import SolveResult

CSV_COLUMNS = ("agent_id", "date", "start", "end", "template_id", "paid_minutes", "breaks", "activities")


def _hm(value: dt.datetime) -> str:
    return value.strftime("%H:%M")


def schedule_csv(result: SolveResult) -> str:
    """Columns `CSV_COLUMNS`; start and end are ISO-8601 local date-times; breaks are
    `name HH:MM-HH:MM paid|unpaid` and activities `skill HH:MM-HH:MM`, each joined by "; "."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in sorted(result.assignments, key=lambda a: (a.agent_id, a.start)):
        breaks = "; ".join(f"{b.name} {_hm(b.start)}-{_hm(b.end)} {'paid' if b.paid else 'unpaid'}" for b in a.breaks)
        activities = "; ".join(f"{x.skill} {_hm(x.start)}-{_hm(x.end)}" for x in a.activities)
        writer.writerow([a.agent_id, a.date.isoformat(), a.start.isoformat(timespec="minutes"),
                         a.end.isoformat(timespec="minutes"), a.template_id, a.paid_minutes, breaks, activities])
    return out.getvalue()

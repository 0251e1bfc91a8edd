"""Demo acknowledgements of finals (issue 10): in the just-generated school, about two parents
in three have acknowledged their children's finals of each period whose finals families see,
a day or a few after they were published, in the evening. The demo parent «roditel» has not
yet acknowledged the latest such period, so the button is there to try. (The demo's other
parents have no accounts: their acknowledgements stand for what a school whose parents have
registered sees on the class teacher's page.)

Runs inside the demo generator's transaction (its audit row says what was made); three
queries and one bulk insert, whatever the size of the school."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from service.db import bulk_insert
from service.diary.tables import FinalsAcknowledgement
from service.journal import access, rules
from service.settings import get_settings
from service.timetable.tables import Lesson

SHARE = 0.65  # parents who acknowledge a period's finals


async def write_demo_acknowledgements(seed: int, moment: datetime) -> int:
    """Acknowledgements of visible finals for part of the parents; returns how many."""
    today = access.school_today()
    finals_days = {r["year"]: r["finals_days"] for r in await Lesson.raw(
        "SELECT year, finals_days FROM journal_setting").run()}
    pairs = await Lesson.raw(
        "SELECT DISTINCT f.period, f.student, p.year, p.ends_on FROM final_grade f "
        "JOIN study_period p ON p.id = f.period WHERE f.kind = 'period'").run()
    links = await Lesson.raw(
        "SELECT l.parent, l.child, a.login FROM parent_link l LEFT JOIN account a ON a.person = l.parent").run()
    parents: dict[int, list[tuple[int, str | None]]] = {}
    for r in links:
        parents.setdefault(r["child"], []).append((r["parent"], r["login"]))
    rng = random.Random(f"{seed}-diary")
    tz = get_settings().tz
    visible = []
    for r in pairs:
        shown = rules.finals_from(r["ends_on"], finals_days.get(r["year"], 2))
        if shown <= today:
            visible.append((r, shown))
    latest = max((r["ends_on"] for r, _ in visible), default=None)
    rows, seen = [], set()
    for r, shown in sorted(visible, key=lambda x: (x[0]["period"], x[0]["student"])):
        for parent, login in parents.get(r["student"], []):
            if login == "roditel" and r["ends_on"] == latest:
                continue  # left for the visitor to press
            if (r["period"], r["student"], parent) in seen or (login != "roditel" and rng.random() > SHARE):
                continue
            seen.add((r["period"], r["student"], parent))
            day = min(shown + timedelta(days=rng.randint(0, 6)), today)
            at = datetime.combine(day, time(rng.randint(18, 21), rng.randint(0, 59)), tzinfo=tz).astimezone(UTC)
            rows.append((r["period"], r["student"], parent, min(at, moment)))
    await bulk_insert(FinalsAcknowledgement, (FinalsAcknowledgement.period, FinalsAcknowledgement.student,
                                              FinalsAcknowledgement.parent, FinalsAcknowledgement.acknowledged_at),
                      rows)
    return len(rows)

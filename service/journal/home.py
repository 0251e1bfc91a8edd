"""What the journal adds to the home page: a teacher's lessons of today and the reminder about
the ones that have started and whose attendance is not taken (one query)."""

from __future__ import annotations

from datetime import date

from service.journal import lesson_queries


async def home(viewer, day: date, role: str | None) -> dict:
    if not viewer.can("journal.teach") or viewer.person_id is None:
        return {}
    rows = await lesson_queries.day_lessons(viewer, day)
    due = lesson_queries.reminders(rows, day, day, lesson_queries.now_minutes())
    return {"journal_lessons": [r for r in rows if r["mine"]], "journal_reminders": due}

"""What the journal adds to the home page (filled by the lesson part: today's lessons and the
ones whose attendance is not taken)."""

from __future__ import annotations

from datetime import date


async def home(viewer, day: date, role: str | None) -> dict:
    return {}

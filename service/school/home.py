"""What the school domain adds to the home page: the classes a staff member sees, and the
school's counts for those who oversee it."""

from __future__ import annotations

from datetime import date

from service.school.queries import school_counts, visible_classes

_CLASS_LISTS = ("teacher", "class_teacher", "deputy", "secretary")
_COUNTS = ("observer", "admin", "deputy")


async def home_context(viewer, day: date, role: str | None) -> dict:
    context: dict = {}
    if role in _CLASS_LISTS:
        classes = await visible_classes(viewer, day)
        context["classes"] = classes
        context["own_classes"] = [c for c in classes if c["class_teacher"] == viewer.person_id]
    if role in _COUNTS:
        context["counts"] = await school_counts(day)
    return context

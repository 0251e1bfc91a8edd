"""What the people domain adds to the home page: a parent's children (also for a teacher who
is a parent), a pupil's own card, the nurse's classes with their health sheets."""

from __future__ import annotations

from datetime import date

from service.people.queries import children_of, health_classes, student_card


async def home_context(viewer, day: date, role: str | None) -> dict:
    context: dict = {}
    if "parent" in viewer.roles:
        context["children"] = await children_of(viewer, day)
    if role == "student" and viewer.person_id is not None:
        context["card"] = await student_card(viewer, viewer.person_id, day)
    if role == "nurse":
        context["health_classes"] = await health_classes(viewer, day)
    return context

"""The tiny school (tests/factories.py) with a deputy head («zavuch»), and viewers built the
way the app builds them (rights from the roles in the database)."""

from __future__ import annotations

from service.accounts.actions import do_create_person, do_create_user
from service.accounts.queries import viewer_for_user
from service.accounts.viewer import Viewer
from tests.factories import PASSWORD, SYSTEM, TinySchool, tiny_school
from tests.snapshots import snapshotted


@snapshotted
async def message_school() -> TinySchool:
    """tiny_school plus: a deputy head with an account; accounts for parent2 (5А) and parent3
    (6Б) and pupil2, so that other families can be tried as recipients."""
    s = await tiny_school()
    s.people["zavuch"] = await do_create_person(SYSTEM, "Орлова", "Галина", "Петровна")
    for key, roles in [("zavuch", ["deputy"]), ("parent2", ["parent"]), ("parent3", ["parent"]),
                       ("pupil2", ["student"])]:
        s.users[key] = await do_create_user(SYSTEM, key, PASSWORD, roles, s.people[key])
    return s


async def viewer(s: TinySchool, key: str) -> Viewer:
    return await viewer_for_user(s.users[key])


__all__ = ["PASSWORD", "message_school", "viewer"]

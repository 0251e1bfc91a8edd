"""The tiny school plus what people's records need: a nurse, a secretary, a PE teacher of 5А
and a PE teacher of a cross-class group (with the 6Б pupil in it)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from service.accounts.actions import do_create_person, do_create_user
from service.accounts.queries import viewer_for_user
from service.accounts.viewer import Viewer
from service.school.tables import AcademicYear, GroupMember, StudyGroup, Subject, TeachingLoad
from tests.factories import PASSWORD, SYSTEM, YEAR_START, TinySchool, tiny_school
from tests.snapshots import snapshotted

TODAY = date(2026, 11, 23)


@snapshotted
async def people_school() -> TinySchool:
    s = await tiny_school()
    year = (await AcademicYear.select(AcademicYear.id).first().run())["id"]
    for key, last, first, roles in [("medsestra", "Белова", "Нина", ["nurse"]),
                                    ("sekretar", "Лебедева", "Ирина", ["secretary"]),
                                    ("fizruk", "Орлов", "Павел", ["teacher"]),
                                    ("trener", "Зайцев", "Глеб", ["teacher"])]:
        s.people[key] = await do_create_person(SYSTEM, last, first)
        s.users[key] = await do_create_user(SYSTEM, key, PASSWORD, roles, s.people[key])
    pe = (await Subject.insert(Subject(name="Физическая культура", short_name="Физ-ра"))
          .returning(Subject.id).run())[0]["id"]
    group = (await StudyGroup.insert(StudyGroup(year=year, name="Секция волейбола", kind="club",
                                                subject=pe, created_at=datetime.now(UTC)))
             .returning(StudyGroup.id).run())[0]["id"]
    await TeachingLoad.insert(
        TeachingLoad(teacher=s.people["fizruk"], subject=pe, school_class=s.classes["5А"],
                     hours_per_week=3, starts_on=YEAR_START),
        TeachingLoad(teacher=s.people["trener"], subject=pe, study_group=group,
                     hours_per_week=2, starts_on=YEAR_START),
    ).run()
    await GroupMember.insert(GroupMember(study_group=group, student=s.people["pupil3"],
                                         starts_on=YEAR_START)).run()
    return s


async def viewer(s: TinySchool, key: str) -> Viewer:
    return await viewer_for_user(s.users[key])

"""The school the authorization matrix runs in: the demo generator's school with two classes of
their own (5А and 6А: each its own class teacher, its own subject teachers, its own pupils
and families), so that every demo login has an object of every kind it may reach («own») and
the same kind of object of the other class or another family («foreign»).

The demo generator makes classes, pupils, families, consents, the health sheet, the timetable
with its versions, bells, rooms and substitutions, a year of lessons with topics, attendance,
grades, finals and absence notes, thematic plans, closed periods, last year's closed classes,
movement orders and message threads in ≈ 2 s. What it does not make is added here through the
real actions: homework files, an individual homework, a pending correction, calendar feeds,
an API key, a message with a file, a home-schooling record, planned maintenance, issued
transcripts and a sealed year with an attached signature."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from service.accounts.queries import viewer_for_token
from service.accounts.viewer import Viewer
from service.audit.log import Actor
from service.demo import DEMO_PASSWORD, SIZES, SizeSpec, generate_demo_school
from service.settings import get_settings
from service.timetable.tables import Lesson

# The demo size the matrix uses: two classes of neighbouring grades and enough teachers that
# no subject teacher teaches both (the generator then gives each class its own teachers).
SIZE = "authz"
SPEC = SizeSpec({5: 1, 6: 1}, students=50, teachers=26, deputies=1)

# The roles of the matrix and the demo login of each (None: not signed in).
LOGINS: dict[str, str | None] = {
    "anonymous": None,
    "admin": "admin",
    "deputy": "zavuch",
    "teacher": "uchitel",
    "class_teacher": "klruk",
    "secretary": "sekretar",
    "parent": "roditel",
    "student": "uchenik",
    "observer": "nablyudatel",
    "archivist": "arhivist",
    "nurse": "medsestra",
}
ROLES = tuple(LOGINS)
SYSTEM = Actor.system("tests/authz")


async def rows(sql: str, *args) -> list[dict]:
    return await Lesson.raw(sql, *args).run()


async def one(sql: str, *args):
    found = await rows(sql, *args)
    assert found, f"the demo school has nothing for: {sql % args if '%' in sql else sql} {args}"
    return next(iter(found[0].values()))


@dataclass
class School:
    """Ids of the objects the matrix opens: ``objects[kind] = (own, foreign)``; where a role's
    own or foreign object differs (a parent's own pupil is their child, a foreign one a
    classmate from another family), ``per_role[(kind, role)]`` has it."""

    today: date
    person: dict[str, int] = field(default_factory=dict)  # login → person id
    account: dict[str, int] = field(default_factory=dict)  # login → account id
    viewers: dict[str, Viewer] = field(default_factory=dict)  # login → viewer (for actions)
    objects: dict[str, tuple[object, object]] = field(default_factory=dict)
    per_role: dict[tuple[str, str], tuple[object, object]] = field(default_factory=dict)

    # objects a role sees but does not write (``which`` "seen"): the class teacher's class's
    # lessons, grades, files and journals of a colleague's subject
    seen: dict[tuple[str, str], object] = field(default_factory=dict)
    # «Фамилия Имя» of pupils a role must never find on any page it gets (names a leak would show)
    unseen: dict[str, tuple[str, ...]] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)  # login → a read-only API key of its account

    def pick(self, kind: str, role: str, which: str):
        if which == "seen":
            return self.seen.get((kind, role), self.pick(kind, role, "own"))
        own, foreign = self.per_role.get((kind, role)) or self.objects[kind]
        return own if which == "own" else foreign


async def _viewer(login: str) -> tuple[str, Viewer]:
    from service.accounts.actions import do_login

    token = await do_login(login, DEMO_PASSWORD, "127.0.0.1")
    viewer = await viewer_for_token(token, "127.0.0.1")
    assert viewer is not None
    return token, viewer


async def build(today: date) -> tuple[School, dict[str, str]]:
    """Generate the school and pick the objects; returns it and each login's session token."""
    SIZES.setdefault(SIZE, SPEC)
    await generate_demo_school(SIZE, 2026)
    s = School(today=today)
    tokens: dict[str, str] = {}
    for login in (v for v in LOGINS.values() if v):
        tokens[login], s.viewers[login] = await _viewer(login)
        s.person[login] = s.viewers[login].person_id
        s.account[login] = s.viewers[login].user_id
    await _pick(s)
    from service.accounts.actions import do_issue_api_token

    for login in tokens:  # after _pick: its «token» object is the teacher's first key
        s.api_keys[login] = await do_issue_api_token(SYSTEM, s.account[login], "Матрица прав", 30)
    return s, tokens


# a pupil with a consent on file and a health sheet (the objects of those pages)
WITH_RECORDS = ("EXISTS (SELECT 1 FROM pd_consent c WHERE c.person = e.student) "
                "AND EXISTS (SELECT 1 FROM health_record h WHERE h.student = e.student)")


async def _pick(s: School) -> None:  # noqa: PLR0915 - one list of objects, read top to bottom
    o, p = s.objects, s.per_role
    me = s.person
    year = await one("SELECT id FROM academic_year WHERE is_current = {}", True)
    last_year = await one("SELECT id FROM academic_year WHERE is_current = {}", False)
    own_class = await one("SELECT id FROM school_class WHERE class_teacher = {} AND year = {}",
                          me["klruk"], year)
    other_class = await one("SELECT id FROM school_class WHERE id <> {} AND year = {}",
                            own_class, year)
    other_teacher = await one("SELECT class_teacher FROM school_class WHERE id = {}", other_class)
    o["year"] = (year, last_year)
    o["class"] = (own_class, other_class)
    o["class_teacher_person"] = (me["klruk"], other_teacher)

    # pupils: the demo's pupil is in the class teacher's class and the parent's child
    pupil = me["uchenik"]
    classmate = await one(
        "SELECT e.student FROM enrolment e WHERE e.school_class = {} AND e.student <> {} "
        "AND NOT EXISTS (SELECT 1 FROM parent_link k WHERE k.child = e.student AND k.parent = {}) "
        f"AND {WITH_RECORDS} ORDER BY e.student", own_class, pupil, me["roditel"])
    stranger = await one(f"SELECT e.student FROM enrolment e WHERE e.school_class = {{}} AND {WITH_RECORDS} "
                         "ORDER BY e.student", other_class)
    o["student"] = (pupil, stranger)
    names = {r["id"]: f"{r['last_name']} {r['first_name']}" for r in await rows(
        "SELECT id, last_name, first_name FROM person WHERE id IN ({}, {}, {})", pupil, classmate, stranger)}
    surnames = {k: v.split()[0] for k, v in names.items()}
    o["surname"] = (surnames[pupil], surnames[stranger])  # what the search page is asked for
    for role in ("parent", "student"):
        p[("surname", role)] = (surnames[pupil], surnames[classmate])
    # a family sees its own child only; the observer, figures without a single name
    s.unseen = {"parent": (names[classmate], names[stranger]), "student": (names[classmate], names[stranger]),
                "observer": tuple(names.values())}
    for role in ("parent", "student"):
        p[("student", role)] = (pupil, classmate)
    o["person"] = o["student"]
    for role in ("parent", "student"):
        p[("person", role)] = (pupil, classmate)
    o["signer"] = (me["roditel"], await one("SELECT parent FROM parent_link WHERE child = {} ORDER BY parent",
                                             stranger))
    for role in ("parent", "student"):
        p[("signer", role)] = (me["roditel"], await one(
            "SELECT parent FROM parent_link WHERE child = {} ORDER BY parent", classmate))
    o["teacher_person"] = (me["uchitel"], other_teacher)
    p[("teacher_person", "class_teacher")] = (me["klruk"], other_teacher)
    o["staff_person"] = (me["uchitel"], other_teacher)
    o["consent"] = (await one("SELECT id FROM pd_consent WHERE person = {} ORDER BY id", pupil),
                    await one("SELECT id FROM pd_consent WHERE person = {} ORDER BY id", stranger))
    p[("consent", "parent")] = p[("consent", "student")] = (
        o["consent"][0], await one("SELECT id FROM pd_consent WHERE person = {} ORDER BY id",
                                   classmate))

    # school structure (the office's objects: one school, no foreign ones)
    o["period"] = (await one("SELECT id FROM study_period WHERE year = {} AND grade_from <= 5 "
                             "AND grade_to >= 5 AND starts_on <= {} AND ends_on >= {}",
                             year, s.today, s.today),) * 2
    o["day"] = (await one("SELECT id FROM calendar_day WHERE year = {} ORDER BY id", year),) * 2
    o["subject"] = (await one("SELECT id FROM subject ORDER BY id"),) * 2
    o["group"] = (await one("SELECT id FROM study_group WHERE year = {} ORDER BY id", year),) * 2
    o["load"] = (await one("SELECT id FROM teaching_load WHERE teacher = {} ORDER BY id",
                           me["uchitel"]),) * 2
    o["order"] = (await one("SELECT id FROM school_order ORDER BY id"),) * 2
    o["role"] = (await one("SELECT id FROM role WHERE code = 'teacher'"),) * 2
    o["user"] = (s.account["uchitel"],) * 2

    # timetable
    o["bells"] = (await one("SELECT id FROM bell_schedule WHERE year = {} ORDER BY id", year),) * 2
    o["room"] = (await one("SELECT id FROM room ORDER BY id"),) * 2
    o["version"] = (await one("SELECT id FROM timetable WHERE year = {} ORDER BY id", year),) * 2
    o["slot"] = (await one("SELECT id FROM timetable_slot WHERE timetable = {} ORDER BY id",
                           o["version"][0]),) * 2
    o["absence"] = (await one("SELECT id FROM teacher_absence ORDER BY id"),) * 2

    # lessons: the teacher's (and the class teacher's own) in 5А; another teacher's in 6А
    def lesson_sql(when: str) -> str:
        return ("SELECT id FROM lesson WHERE teacher = {} AND school_class = {} AND NOT cancelled "
                f"AND on_date {when} {{}} ORDER BY on_date DESC, number LIMIT 1")

    past = s.today - timedelta(days=1)
    # the foreign lesson: 6А's, of a subject neither demo teacher teaches there or ever
    # substituted in (the demo's substitutions send them into 6А this week)
    demo_teachers = (me["uchitel"], me["klruk"])
    foreign_lesson = await one(
        "SELECT id FROM lesson WHERE school_class = {} AND NOT cancelled AND on_date <= {} AND subject NOT IN "
        "(SELECT subject FROM lesson WHERE school_class = {} AND (teacher IN ({}, {}) OR taught_by IN ({}, {}))) "
        "AND subject NOT IN (SELECT subject FROM teaching_load WHERE school_class = {} AND teacher IN ({}, {})) "
        "ORDER BY on_date DESC, number LIMIT 1",
        other_class, past, other_class, *demo_teachers, *demo_teachers, other_class, *demo_teachers)
    o["lesson"] = (await one(lesson_sql("<="), me["uchitel"], own_class, past), foreign_lesson)
    p[("lesson", "class_teacher")] = (await one(lesson_sql("<="), me["klruk"], own_class, past),
                                      o["lesson"][1])
    o["future_lesson"] = (await one(lesson_sql(">"), me["uchitel"], own_class, s.today + timedelta(days=7)),) * 2
    lesson_subject = {}
    for lesson in {*o["lesson"], p[("lesson", "class_teacher")][0]}:
        lesson_subject[lesson] = (await rows("SELECT school_class, subject FROM lesson WHERE id = {}",
                                             lesson))[0]
    o["journal"] = tuple(f"c{lesson_subject[x]['school_class']}-s{lesson_subject[x]['subject']}"
                         for x in o["lesson"])
    klruk_lesson = p[("lesson", "class_teacher")][0]
    p[("journal", "class_teacher")] = (
        f"c{own_class}-s{lesson_subject[klruk_lesson]['subject']}", o["journal"][1])
    o["cell"] = ((o["lesson"][0], pupil), (o["lesson"][1], stranger))
    p[("cell", "class_teacher")] = ((klruk_lesson, pupil), (o["lesson"][1], stranger))
    foreign_journal = lesson_subject[foreign_lesson]
    o["grade"] = (
        await one("SELECT g.id FROM grade g JOIN lesson l ON l.id = g.lesson WHERE l.teacher = {} "
                  "AND l.school_class = {} AND g.removed_at IS NULL ORDER BY g.id DESC", me["uchitel"], own_class),
        await one("SELECT g.id FROM grade g JOIN lesson l ON l.id = g.lesson WHERE l.school_class = {} "
                  "AND l.subject = {} AND g.removed_at IS NULL ORDER BY g.id DESC", other_class,
                  foreign_journal["subject"]))
    p[("grade", "class_teacher")] = (
        await one("SELECT g.id FROM grade g JOIN lesson l ON l.id = g.lesson WHERE l.teacher = {} "
                  "AND l.school_class = {} AND g.removed_at IS NULL ORDER BY g.id DESC", me["klruk"], own_class),
        o["grade"][1])
    o["note"] = (await one("SELECT n.id FROM absence_note n JOIN enrolment e ON e.student = n.student "
                           "WHERE e.school_class = {} AND n.removed_at IS NULL ORDER BY n.id", own_class),
                 await one("SELECT n.id FROM absence_note n JOIN enrolment e ON e.student = n.student "
                           "WHERE e.school_class = {} AND n.removed_at IS NULL ORDER BY n.id", other_class))
    # a diary subject: the pupil's journal of the teacher's subject; the classmate's the same
    o["diary_subject"] = ((pupil, o["journal"][0]), (stranger, o["journal"][1]))
    p[("diary_subject", "parent")] = p[("diary_subject", "student")] = (
        (pupil, o["journal"][0]), (classmate, o["journal"][0]))
    o["quarter"] = (await one("SELECT id FROM study_period WHERE year = {} AND grade_from <= 5 "
                              "AND grade_to >= 6 AND ends_on < {} ORDER BY starts_on", year, s.today),) * 2
    o["system"] = (await one("SELECT id FROM grading_system ORDER BY id"),) * 2
    o["rule"] = (await one("SELECT id FROM grading_rule ORDER BY id"),) * 2
    o["work_kind"] = (await one("SELECT id FROM work_kind ORDER BY id"),) * 2
    o["schema_page"] = ("nothing", "nothing")
    o["kind"] = ("students", "students")  # an export list
    o["what"] = ("tar", "tar")  # a sealed year's file
    # whose timetable a calendar address is made for: one's own week (a teacher, a pupil) or
    # one's child's; a foreign one is the stranger's
    o["feed_person"] = (me["uchitel"], stranger)
    p[("feed_person", "class_teacher")] = (me["klruk"], stranger)
    for role in ("parent", "student"):
        p[("feed_person", role)] = (pupil, stranger)
    await _add_missing(s, own_class, other_class, other_teacher, pupil, stranger, classmate)


async def _add_missing(s: School, own_class: int, other_class: int, other_teacher: int,
                       pupil: int, stranger: int, classmate: int) -> None:
    """What the demo school lacks, made through the real actions."""
    from service.accounts.actions import do_issue_api_token
    from service.journal import cells, lessons
    from service.messages import actions as messages
    from service.ops.actions import do_plan_maintenance
    from service.timetable import feeds
    from service.timetable.home_schooling import do_start_home_schooling

    o, p, v = s.objects, s.per_role, s.viewers
    deputy = v["zavuch"]
    other_login = await _teacher_viewer(other_teacher)
    # homework files of the teacher's lesson and of the other class's lesson
    own_file = await lessons.do_attach_file(v["uchitel"], o["lesson"][0], None, "zadanie.txt", b"own")
    foreign_file = await lessons.do_attach_file(deputy, o["lesson"][1], None, "zadanie.txt", b"foreign")
    o["file"] = (own_file, foreign_file)
    p[("file", "class_teacher")] = (await lessons.do_attach_file(
        v["klruk"], p[("lesson", "class_teacher")][0], None, "zadanie.txt", b"klruk"), foreign_file)
    # the class teacher sees her class's lessons of the teacher's subject, and writes none
    for kind in ("lesson", "cell", "grade", "file", "journal"):
        s.seen[(kind, "class_teacher")] = o[kind][0]
    # calendar feeds: each one's own (a teacher's own week, a parent's child's)
    own_feeds = {}
    for login, whose in (("uchitel", s.person["uchitel"]), ("klruk", s.person["klruk"]),
                         ("roditel", pupil), ("uchenik", pupil)):
        own_feeds[login], token = await feeds.do_create_feed(v[login], whose)
        if login == "uchitel":
            # the calendar's address: its token is the key (a made-up one is nobody's)
            o["feed_name"] = (f"{token}.ics", "A" * len(token) + ".ics")
    other_feed = (await feeds.do_create_feed(other_login, other_teacher))[0]
    o["feed"] = (own_feeds["uchitel"], other_feed)
    for role, login in (("class_teacher", "klruk"), ("parent", "roditel"), ("student", "uchenik")):
        p[("feed", role)] = (own_feeds[login], other_feed)
    # an API key of the teacher's account, and one of another account
    await do_issue_api_token(SYSTEM, s.account["uchitel"], "Интеграция", 30)
    token = await one("SELECT id FROM api_token WHERE account = {}", s.account["uchitel"])
    o["token"] = ((s.account["uchitel"], token),) * 2
    # threads: each signed-in role's own (one it started), and one between two strangers
    today = s.today
    own_threads = {}
    for login in ("uchitel", "klruk", "roditel", "uchenik", "zavuch", "sekretar", "admin",
                  "arhivist", "medsestra"):
        found = await message_contacts(v[login], today)
        assert found, f"{login} may write to nobody"
        to = f"{found[0].person}.{found[0].about or 0}"
        own_threads[login] = (await messages.do_start(v[login], to, "Вопрос", "Здравствуйте!", [],
                                                      today))[0]
    # a thread of two people who are none of the demo logins, with a file in it
    logins = list(s.person.values())
    foreign = (await rows(
        "SELECT id, starter FROM message_thread WHERE starter_as = 'staff' AND starter NOT IN ({}) "
        "AND recipient NOT IN ({}) ORDER BY id".format(*[", ".join(map(str, logins))] * 2)))[0]
    foreign_thread = foreign["id"]
    foreign_message_file = await _message_with_file(await _teacher_viewer(foreign["starter"]),
                                                    foreign_thread)
    o["thread"] = (own_threads["uchitel"], foreign_thread)
    for role, login in THREAD_ROLES:
        p[("thread", role)] = (own_threads[login], foreign_thread)
    for role, login in (("teacher", "uchitel"), *THREAD_ROLES):
        p[("message_file", role)] = (await _message_with_file(v[login], own_threads[login]),
                                     foreign_message_file)
    o["message_file"] = (p[("message_file", "teacher")][0], foreign_message_file)
    # a correction waiting for the deputy head: a change to a cell of a closed period
    closed_lesson = await one(
        "SELECT l.id FROM lesson l JOIN study_period sp ON sp.grade_from <= 5 AND sp.grade_to >= 5 "
        "AND l.on_date BETWEEN sp.starts_on AND sp.ends_on JOIN period_closing pc ON pc.period = sp.id "
        "AND pc.reopened_at IS NULL WHERE l.teacher = {} AND l.school_class = {} AND NOT l.cancelled "
        "ORDER BY l.on_date DESC LIMIT 1", s.person["uchitel"], own_class)
    # (the school asks for approval of such changes while this one is made)
    await rows("UPDATE journal_setting SET approval_required = {}", True)
    saved = await cells.do_save_cell(v["uchitel"], closed_lesson, pupil, "5",
                                     reason="Отметка перенесена из тетради")
    await rows("UPDATE journal_setting SET approval_required = {}", False)
    assert saved.state == "pending", saved
    o["correction"] = (saved.correction,) * 2
    # home schooling of a pupil of 5А, with an individual lesson slot
    home = await do_start_home_schooling(SYSTEM, classmate, "home", today, None, "Приказ № 1-у", [])
    o["home"] = (home,) * 2
    o["home_slot"] = (await _home_slot(s, classmate, own_class),) * 2
    # planned maintenance: in the first holidays at least a week ahead
    holiday = await one("SELECT starts_on FROM calendar_day WHERE kind = 'holidays' AND starts_on >= {} "
                        "ORDER BY starts_on", today + timedelta(days=8))
    tz = get_settings().tz
    starts = datetime.combine(holiday, time(10), tz)
    o["maintenance"] = (await do_plan_maintenance(SYSTEM, starts, starts + timedelta(hours=5),
                                                  "Замена сервера"),) * 2


THREAD_ROLES = (("admin", "admin"), ("deputy", "zavuch"), ("class_teacher", "klruk"),
                ("secretary", "sekretar"), ("parent", "roditel"), ("student", "uchenik"),
                ("archivist", "arhivist"), ("nurse", "medsestra"))


async def _home_slot(s: School, student: int, class_id: int) -> int:
    """An individual lesson of the home-schooled pupil: the teacher's subject, at the first
    free place of the week."""
    from service.errors import Refused
    from service.timetable.slots import do_add_slot

    version = s.objects["version"][0]
    subject = await one("SELECT subject FROM teaching_load WHERE teacher = {} AND school_class = {}",
                        s.person["uchitel"], class_id)
    for weekday in range(1, 6):
        for number in range(1, 9):
            try:
                return await do_add_slot(SYSTEM, version, weekday, number, 0, subject, s.person["uchitel"],
                                         student=student, today=s.today)
            except Refused:
                continue
    raise AssertionError("no free place for an individual lesson")


def messages_upload():
    from service.messages.actions import Upload

    return Upload("spravka.txt", b"foreign file")


async def message_contacts(viewer: Viewer, today: date) -> list:
    from service.messages.queries import contacts

    return await contacts(viewer, today)


async def _message_with_file(viewer: Viewer, thread: int) -> int:
    from service.messages import actions as messages

    await messages.do_reply(viewer, thread, "Файл во вложении", [messages_upload()])
    return await one("SELECT f.id FROM message_file f JOIN thread_message m ON m.id = f.message "
                     "WHERE m.thread = {} ORDER BY f.id DESC", thread)


async def _teacher_viewer(person: int) -> Viewer:
    """A teacher without a demo login as a viewer, for making their objects."""
    from service.domains import rights

    held = frozenset(r.code for r in rights() if {"class_teacher", "teacher"} & set(r.default_roles))
    return Viewer(0, f"person{person}", person, "Учитель без демо-входа", ("class_teacher", "teacher"),
                  held)


async def add_records(s: School, archive: Path) -> None:
    """Transcripts of the first quarter for the pupil (5А) and the stranger (6А), issued with
    the school's real seal; last year as a sealed package with an attached signature (written
    as the register keeps them: building a real package takes a minute, and the pages only
    read the register and the files). The seal and the archive folder must already point into
    ``archive`` (see tests/authz/test_matrix.py)."""
    from service.records.issue import do_issue_transcripts
    from service.records.tables import AttachedSignature, SealedYear

    o = s.objects
    year, last_year = o["year"]
    quarter = await one("SELECT id FROM study_period WHERE year = {} AND grade_from <= 5 AND grade_to >= 6 "
                        "AND ends_on < {} ORDER BY starts_on", year, s.today)
    docs = []
    for class_id, student in zip(o["class"], o["student"], strict=True):
        await do_issue_transcripts(s.viewers["zavuch"], year, period_id=quarter, class_ids=[class_id],
                                   students={student})
        docs.append(await one("SELECT id FROM issued_document WHERE student = {} ORDER BY id DESC", student))
    o["document"] = tuple(docs)
    o["code"] = (await one("SELECT short_code FROM issued_document WHERE id = {}", docs[0]),) * 2
    folder = archive / "years" / "ezh-2025-2026-v1"
    folder.mkdir(parents=True)
    (folder / "tagmanifest-sha256.txt").write_text("0" * 64 + "  manifest-sha256.txt\n")
    (archive / "years" / "ezh-2025-2026-v1.tar").write_bytes(b"tar")
    sealed = (await SealedYear.insert(SealedYear(
        year=last_year, version=1, name="ezh-2025-2026-v1", root_digest="7" * 64, folder=str(folder),
        tar="years/ezh-2025-2026-v1.tar", files=1, size=3, sealed_at=datetime.now().astimezone()))
        .returning(SealedYear.id).run())[0]["id"]
    (archive / "signatures").mkdir()
    (archive / "signatures" / "year.sig").write_bytes(b"signature")
    signature = (await AttachedSignature.insert(AttachedSignature(
        sealed_year=sealed, filename="tagmanifest-sha256.txt.sig", sha256="e" * 64, size=9,
        file="signatures/year.sig", note="подписал директор", attached_at=datetime.now().astimezone()))
        .returning(AttachedSignature.id).run())[0]["id"]
    o["sealed"] = (sealed,) * 2
    o["signature"] = (signature,) * 2

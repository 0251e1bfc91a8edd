"""The authorization matrix: every route of the app × every role × its own or a foreign object,
with the answer expected (R-SEC-1, R-ROLE-3, R-SEC-2).

A row names a route (method and path as the app declares it), the rights its guard asks for
(``needs``: any one of them; none — signed in is enough), the kinds of object its path (or its
form, ``more``) names — ``tests/authz/school.py`` picks an own and a foreign one of each kind
for every role — and who reaches which: ``who`` maps a role to ``ALL`` (any object), ``OWN``
(its own; a foreign one is 404), ``REFUSED`` (sees it, the action refuses in Russian: 400) or
nothing (404 for every object: the scope query decides, and an object one may not see is one
that does not exist). ``who`` left out: every role the guard lets through reaches every object.

The roles holding a right come from the domains' declarations (``Right.default_roles``): a
role holding none of ``needs`` expects 403, one not signed in the login page (401 on the JSON
routes). The table is the specification, not a mirror: a guard that asks for other rights than
its row fails ``test_every_route_asks_for_the_rights_its_row_names``, and the roles it lets
through wrongly fail the matrix. The exceptions are written where they are, with their reason
(``why``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

ALL, OWN = "all", "own"
# Seen, and refused by the action with the reason in Russian (400), nothing written: a role
# that may read the object but not do this to it (the row's ``why`` says who may).
REFUSED = "refused"

# The roles that hold people.view_all: the office sees every pupil and class.
OFFICE = {"admin": ALL, "deputy": ALL, "secretary": ALL}
# A class or a pupil of it: the office every one, the class and subject teachers their own.
CLASS = {**OFFICE, "class_teacher": OWN, "teacher": OWN}
# A pupil's card: as a class, and the family its own child (the parent) or self (the pupil).
PUPIL = {**CLASS, "parent": OWN, "student": OWN}
# A journal or a lesson: everyone's with journal.view, the teacher's and the class teacher's own.
JOURNAL = {"admin": ALL, "deputy": ALL, "teacher": OWN, "class_teacher": OWN}
# A journal's finals and plan: as a lesson, and journal.view (the administrator) is refused.
JOURNAL_WRITE = {"admin": REFUSED, "deputy": ALL, "teacher": OWN, "class_teacher": OWN}
# Writing a lesson: its teachers, and journal.edit (the deputy head) any lesson.
LESSON_WRITE = {"deputy": ALL, "teacher": OWN, "class_teacher": OWN}
# A message thread or its file: only its two sides, whoever else holds which right.
SIDES = {r: OWN for r in ("admin", "deputy", "teacher", "class_teacher", "secretary", "parent",
                          "student", "archivist", "nurse")}
EVERYONE = ("admin", "deputy", "teacher", "class_teacher", "secretary", "parent", "student",
            "observer", "archivist", "nurse")

GET_OK = frozenset({200})
# A write of an allowed role with the matrix's body: done (200 with the page, 303 back to it),
# or refused for what the body says (400 in Russian; 409 a stale form; 422 a reason needed).
WRITE_OK = frozenset({200, 303, 400, 409, 422})
REDIRECT = frozenset({302, 303})

# The rights of the guards several routes share (any one of them lets a role through).
SEE_SCHOOL = ("school.setup", "school.view")
SEE_JOURNALS = ("journal.teach", "journal.class", "journal.view")
SEE_TIMETABLES = ("timetable.edit", "timetable.view")
EDIT_PEOPLE = ("people.edit_all", "people.edit_class")
SEE_ORDERS = ("orders.view", "orders.edit")
SEE_NOTES = ("journal.class", "journal.edit", "journal.view")
SEE_CLASSES = ("people.view_all", "people.view_class", "people.view_taught")
SEE_OPS = ("ops.view", "ops.maintenance")
SEE_ACKNOWLEDGEMENTS = ("journal.class", "journal.view")
SEE_ARCHIVE = ("archive.view", "records.issue", "records.issue_own")
ISSUE_TRANSCRIPTS = ("records.issue", "records.issue_own")
SEE_FINALS = ("journal.approve", "journal.view", "journal.teach")
SEE_CORRECTIONS = ("journal.approve", "journal.teach")
ISSUE_CODES = ("invitations.issue_any", "invitations.issue_own")
SEE_HEALTH = ("health.view_all", "health.view_class", "health.view_pe")
SEE_EXCHANGE = ("exchange.import", "exchange.export")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    objects: tuple[str, ...] = ()  # the kind of object of each path parameter, in order
    needs: tuple[str, ...] | str = ()  # the rights the route's guard asks for (any one); (): signed in
    who: Mapping[str, str] | None = None  # None: every role the guard lets through, any object
    ok: frozenset[int] | None = None  # the answers of an allowed request (default by method)
    body: Callable | None = None  # (picked objects) → form fields (or JSON); default: none
    query: Callable | None = None  # (picked objects) → query parameters
    more: tuple[str, ...] = ()  # kinds of object the body or the query names (own or foreign)
    json: bool = False  # the body goes as JSON (the journal's API)
    api: bool = False  # a JSON route: not signed in is 401, not the login page
    public: bool = False  # no guard on purpose: anyone, signed in or not (``who``: whose object)
    why: str = ""  # why this row is not what its guard alone would say
    # a write to an object the role sees but does not write (the class teacher and a colleague's
    # lesson in her class): 404 as a foreign one, or the action's refusal (REFUSED)
    seen: str | int = 404

    def __post_init__(self) -> None:
        if isinstance(self.needs, str):  # one right, written as its code
            object.__setattr__(self, "needs", (self.needs,))

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def allowed(self) -> frozenset[int]:
        if self.ok is not None:
            return self.ok
        return GET_OK if self.method == "GET" else WRITE_OK


def own_only(*roles: str) -> dict[str, str]:
    return dict.fromkeys(roles, OWN)


def every(*roles: str) -> dict[str, str]:
    return dict.fromkeys(roles, ALL)


# --- accounts (service/accounts/domain.py) -------------------------------------------------------

ACCOUNTS = [
    Row("GET", "/login", public=True, ok=frozenset({200, 303}),
        why="the form for anyone; a signed-in viewer is sent home"),
    Row("POST", "/login", public=True, ok=frozenset({400}), why="an empty form: refused on the form"),
    Row("GET", "/register", public=True),
    Row("POST", "/register", public=True, ok=frozenset({400})),
    Row("GET", "/reset", public=True),
    Row("POST", "/reset", public=True, ok=frozenset({400})),
    Row("POST", "/logout"),
    Row("GET", "/account/password"),
    Row("POST", "/account/password"),
    Row("GET", "/admin/roles", needs="admin.roles"),
    Row("POST", "/admin/roles/{role_id:int}", ("role",), needs="admin.roles"),
    Row("GET", "/admin/users", needs="admin.users"),
    Row("GET", "/admin/users/{user_id:int}", ("user",), needs="admin.users"),
    Row("POST", "/admin/users/{user_id:int}/reset", ("user",), needs="admin.users"),
    Row("POST", "/admin/users/{user_id:int}/active", ("user",), needs="admin.users"),
    Row("POST", "/admin/users/{user_id:int}/roles", ("user",), needs="admin.users"),
    Row("POST", "/admin/users/{user_id:int}/tokens", ("user",), needs="admin.users"),
    Row("POST", "/admin/users/{user_id:int}/tokens/{token_id:int}/revoke", ("token",),
        needs="admin.users"),
]

# --- audit ---------------------------------------------------------------------------------------

AUDIT = [
    Row("GET", "/admin/audit", needs="admin.audit"),
    Row("GET", "/admin/access-log", needs="admin.access_log"),
]

# --- school (the office's setup: one school, no foreign objects) ---------------------------------

SCHOOL = [
    Row("GET", "/school/years", needs=SEE_SCHOOL),
    Row("POST", "/school/years", needs="school.setup"),
    Row("GET", "/school/years/{year_id:int}", ("year",), needs=SEE_SCHOOL),
    Row("POST", "/school/years/{year_id:int}/current", ("year",), needs="school.setup"),
    Row("POST", "/school/years/{year_id:int}/periods", ("year",), needs="school.setup"),
    Row("POST", "/school/periods/{period_id:int}", ("period",), needs="school.setup"),
    Row("POST", "/school/years/{year_id:int}/days", ("year",), needs="school.setup"),
    Row("POST", "/school/days/{day_id:int}", ("day",), needs="school.setup"),
    Row("GET", "/school/years/{year_id:int}/classes", ("year",), needs=SEE_SCHOOL),
    Row("POST", "/school/years/{year_id:int}/classes", ("year",), needs="school.setup"),
    Row("GET", "/school/classes/{class_id:int}", ("class",), needs=SEE_SCHOOL),
    Row("POST", "/school/classes/{class_id:int}", ("class",), needs="school.setup"),
    Row("GET", "/school/subjects", needs=SEE_SCHOOL),
    Row("POST", "/school/subjects", needs="school.setup"),
    Row("POST", "/school/subjects/{subject_id:int}", ("subject",), needs="school.setup"),
    Row("GET", "/school/years/{year_id:int}/groups", ("year",), needs=SEE_SCHOOL),
    Row("POST", "/school/years/{year_id:int}/groups", ("year",), needs="school.setup"),
    Row("GET", "/school/groups/{group_id:int}", ("group",), needs=SEE_SCHOOL),
    Row("GET", "/school/classes", ok=REDIRECT, why="to the current year's section", needs=SEE_SCHOOL),
    Row("GET", "/school/load", ok=REDIRECT, why="to the current year's section", needs=SEE_SCHOOL),
    Row("GET", "/school/groups", ok=REDIRECT, why="to the current year's section", needs=SEE_SCHOOL),
    Row("GET", "/school/years/{year_id:int}/load", ("year",), needs=SEE_SCHOOL),
    Row("POST", "/school/years/{year_id:int}/load", ("year",), needs="school.setup"),
    Row("GET", "/school/load/{load_id:int}", ("load",), needs=SEE_SCHOOL),
    Row("POST", "/school/load/{load_id:int}/change", ("load",), needs="school.setup"),
    Row("POST", "/school/load/{load_id:int}/end", ("load",), needs="school.setup"),
]

# --- people --------------------------------------------------------------------------------------

# Whose records one edits (people.queries.edit_scope): the office (edit_all) everyone's, a
# class teacher their class's pupils and parents; the administrator only sees cards.
EDIT = {"deputy": ALL, "secretary": ALL, "class_teacher": OWN}
# The health sheet (special-category data): the administration and the nurse every pupil's,
# the class teacher their class's; a subject teacher only a PE teacher's pupils (not ours).
HEALTH = {"admin": ALL, "deputy": ALL, "nurse": ALL, "class_teacher": OWN}
PERSON = {"last_name": "Иванова", "first_name": "Мария"}


def _pupil(v) -> dict:
    return {"student": v["student"]}


PEOPLE = [
    Row("GET", "/classes"),
    Row("GET", "/classes/{class_id:int}", ("class",), who=CLASS),
    Row("POST", "/classes/{class_id:int}/invitations", ("class",),
        who={**OFFICE, "class_teacher": OWN}, body=lambda v: {"who": "students"},
        ok=frozenset({200}), why="the sheet (PDF) of the class's new codes", needs=ISSUE_CODES),
    Row("GET", "/staff", needs="invitations.issue_any"),
    Row("POST", "/staff/invitations", needs="invitations.issue_any"),
    Row("GET", "/students/{person_id:int}", ("student",), who=PUPIL),
    Row("GET", "/people/new", needs="people.edit_all"),
    Row("POST", "/people/new", needs="people.edit_all"),
    Row("GET", "/people/{person_id:int}", ("person",), who=EDIT),
    Row("POST", "/people/{person_id:int}", ("person",), who=EDIT, body=lambda v: PERSON,
        needs=EDIT_PEOPLE),
    Row("POST", "/people/{person_id:int}/parents", ("person",), who=EDIT,
        body=lambda v: {**PERSON, "kind": "мать", "legal": "1"}, needs=EDIT_PEOPLE),
    # a minor's consent is signed by a linked representative: the pupil's parent
    Row("POST", "/people/{person_id:int}/consents", ("person", "signer"), who=EDIT,
        body=lambda v: {"scope": "обработка персональных данных", "given_on": v.today.isoformat(),
                        "signed_by": v["signer"]}, needs=EDIT_PEOPLE),
    Row("POST", "/consents/{consent_id:int}/withdraw", ("consent",), who=EDIT,
        body=lambda v: {"withdrawn_on": v.today.isoformat()}, needs=EDIT_PEOPLE),
    Row("GET", "/staff/new", needs="people.edit_all"),
    Row("POST", "/staff/new", needs="people.edit_all"),
    Row("POST", "/staff/{person_id:int}/leave", ("staff_person",),
        body=lambda v: {"ends_on": v.today.isoformat()}, needs="people.edit_all"),
    Row("GET", "/classes/{class_id:int}/consents", ("class",), who=EDIT),
    Row("GET", "/classes/{class_id:int}/print", ("class",), who=CLASS),
    # the search answers everyone, with the people in their scope only: a family asking for a
    # classmate's or a stranger's surname must not find them (the names' check: test_matrix)
    Row("GET", "/search", more=("surname",), query=lambda v: {"q": v["surname"]}),
    Row("GET", "/health", needs=SEE_HEALTH),
    Row("GET", "/classes/{class_id:int}/health", ("class",), who=HEALTH),
    Row("GET", "/students/{person_id:int}/health", ("student",), who=HEALTH),
    Row("POST", "/students/{person_id:int}/health", ("student",),
        body=lambda v: {"health_group": "II", "pe_group": "основная", "valid_from": v.today.isoformat()},
            needs="health.edit"),
]

# --- orders (the office's order book: one school) ------------------------------------------------

ORDERS = [
    Row("GET", "/orders", needs=SEE_ORDERS),
    Row("GET", "/orders/{order_id:int}", ("order",), needs=SEE_ORDERS),
    Row("POST", "/orders/{order_id:int}/cancel", ("order",), needs="orders.edit"),
    *[Row(method, f"/orders/new/{kind}",
        needs="orders.edit") for kind in ("withdraw", "enrol", "group_join", "transfer",
                                                      "group_leave") for method in ("GET", "POST")],
    Row("GET", "/orders/students/{person_id:int}", ("student",), needs=SEE_ORDERS),
    Row("GET", "/orders/rollover", needs="orders.edit"),
    Row("POST", "/orders/rollover", needs="orders.edit"),
]

# --- timetable -----------------------------------------------------------------------------------

# Weeks of a class, a room or any teacher: holders of timetable.view (the staff).
STAFF_WEEKS = every("admin", "deputy", "secretary", "teacher", "class_teacher")
# A pupil's week: the staff, the pupil, the parents (timetable.views.whose_student).
PUPIL_WEEK = {**STAFF_WEEKS, "parent": OWN, "student": OWN}

TIMETABLE = [
    Row("GET", "/timetable/setup", needs=SEE_TIMETABLES),
    Row("POST", "/timetable/setup/years/{year_id:int}/bells", ("year",), needs="timetable.edit"),
    Row("GET", "/timetable/setup/bells/{schedule_id:int}", ("bells",), needs=SEE_TIMETABLES),
    Row("POST", "/timetable/setup/bells/{schedule_id:int}", ("bells",), needs="timetable.edit"),
    Row("GET", "/timetable/setup/rooms", needs=SEE_TIMETABLES),
    Row("POST", "/timetable/setup/rooms", needs="timetable.edit"),
    Row("POST", "/timetable/setup/rooms/{room_id:int}", ("room",), needs="timetable.edit"),
    Row("POST", "/timetable/setup/years/{year_id:int}/days", ("year",), needs="timetable.edit"),
    Row("POST", "/timetable/setup/years/{year_id:int}/days/clear", ("year",), needs="timetable.edit"),
    Row("POST", "/timetable/setup/years/{year_id:int}/versions", ("year",), needs="timetable.edit"),
    Row("POST", "/timetable/setup/years/{year_id:int}/versions/start", ("year",),
        needs="timetable.edit"),
    Row("POST", "/timetable/setup/versions/{version_id:int}", ("version",), needs="timetable.edit"),
    Row("GET", "/timetable/setup/versions/{version_id:int}", ("version",), needs=SEE_TIMETABLES),
    Row("GET", "/timetable/grid/{version_id:int}", ("version",), needs=SEE_TIMETABLES),
    Row("GET", "/timetable/grid/{version_id:int}/class/{class_id:int}", ("version", "class"),
        needs=SEE_TIMETABLES),
    Row("GET", "/timetable/grid/{version_id:int}/teacher/{person_id:int}", ("version", "teacher_person"),
        needs=SEE_TIMETABLES),
    # the grid's forms name the week they came from (back_id); the slot form's fields are empty
    Row("POST", "/timetable/grid/{version_id:int}/slots", ("version",), body=lambda v: {"back_id": v.own("class")},
        ok=frozenset({400}), needs="timetable.edit"),
    Row("POST", "/timetable/grid/slots/{slot_id:int}", ("slot",), body=lambda v: {"back_id": v.own("class")},
        ok=frozenset({400}), needs="timetable.edit"),
    Row("POST", "/timetable/grid/slots/{slot_id:int}/remove", ("slot",), body=lambda v: {"back_id": v.own("class")},
        needs="timetable.edit"),
    Row("POST", "/timetable/grid/{version_id:int}/class/{class_id:int}/copy-week", ("version", "class"),
        needs="timetable.edit"),
    Row("GET", "/timetable/changes", needs="timetable.changes"),
    *[Row("POST", f"/timetable/changes/lessons/{{lesson_id:int}}/{what}", ("future_lesson",),
          needs="timetable.changes")
      for what in ("replace", "combine", "cancel", "room", "move", "restore")],
    Row("POST", "/timetable/changes/lessons", needs="timetable.changes"),
    Row("POST", "/timetable/changes/absences", needs="timetable.changes"),
    Row("POST", "/timetable/changes/absences/{absence_id:int}", ("absence",), needs="timetable.changes"),
    Row("POST", "/timetable/changes/absences/{absence_id:int}/remove", ("absence",),
        needs="timetable.changes"),
    Row("GET", "/timetable/changes/hours", needs="timetable.changes"),
    Row("GET", "/timetable/changes/hours/{teacher_id:int}", ("teacher_person",),
        needs="timetable.changes"),
    Row("GET", "/timetable"),
    Row("GET", "/timetable/go", ok=REDIRECT, why="the pickers' form: to the week chosen"),
    Row("GET", "/timetable/class/{class_id:int}", ("class",), who=STAFF_WEEKS),
    Row("GET", "/timetable/class/{class_id:int}/print", ("class",), who=STAFF_WEEKS),
    # one's own week for everyone who teaches; any teacher's for timetable.view
    Row("GET", "/timetable/teacher/{person_id:int}", ("teacher_person",), who=STAFF_WEEKS),
    Row("GET", "/timetable/teacher/{person_id:int}/print", ("teacher_person",), who=STAFF_WEEKS),
    Row("GET", "/timetable/room/{room_id:int}", ("room",), who=STAFF_WEEKS),
    Row("GET", "/timetable/room/{room_id:int}/print", ("room",), who=STAFF_WEEKS),
    Row("GET", "/timetable/student/{person_id:int}", ("student",), who=PUPIL_WEEK),
    Row("GET", "/timetable/student/{person_id:int}/print", ("student",), who=PUPIL_WEEK),
    Row("GET", "/timetable/feeds"),
    # a calendar address of one's own week or one's child's (timetable.feeds._may_make)
    Row("POST", "/timetable/feeds", more=("feed_person",), body=lambda v: {"person": v["feed_person"]},
        who=own_only("teacher", "class_teacher", "parent", "student")),
    Row("POST", "/timetable/feeds/{feed_id:int}/revoke", ("feed",),
        who=own_only("teacher", "class_teacher", "parent", "student")),
    Row("GET", "/timetable/feed/{name:str}", ("feed_name",), public=True,
        who=own_only("anonymous", *EVERYONE), why="the token is the key: a made-up one is nobody's"),
    Row("GET", "/timetable/home", needs="timetable.home"),
    Row("GET", "/timetable/home/new", needs="timetable.home"),
    Row("POST", "/timetable/home/new", needs="timetable.home"),
    Row("GET", "/timetable/home/{home_id:int}", ("home",), needs="timetable.home"),
    Row("POST", "/timetable/home/{home_id:int}", ("home",), needs="timetable.home"),
    Row("POST", "/timetable/home/{home_id:int}/slots", ("home",), needs="timetable.home"),
    Row("POST", "/timetable/home/{home_id:int}/slots/{slot_id:int}/remove", ("home", "home_slot"),
        needs="timetable.home"),
]

# --- journal -------------------------------------------------------------------------------------


def _cell(v) -> dict:
    lesson, student = v["cell"]
    return {"lesson": lesson, "student": student, "value": "н"}


def _attendance(v) -> dict:
    lesson, student = v["cell"]
    return {"lesson": lesson, "marks": {str(student): "absent"}}


JOURNAL_ROWS = [
    Row("GET", "/journal"),
    Row("GET", "/journal/{ref:str}", ("journal",), who=JOURNAL),
    Row("GET", "/journal/api/grid/{ref:str}", ("journal",), who=JOURNAL, api=True),
    # the grid's save (a form answered in JSON) and the JSON API: the lesson is in the body
    Row("POST", "/journal/cell", more=("cell",), body=_cell, who=LESSON_WRITE, api=True),
    Row("GET", "/journal/cell/{lesson:int}/{student:int}", ("cell",), who=JOURNAL),
    Row("POST", "/journal/grade/{grade_id:int}", ("grade",), who=LESSON_WRITE,
        body=lambda v: {"work_kind": v["work_kind"], "comment": "устно"}),
    Row("POST", "/journal/api/cells", more=("cell",), body=_cell, json=True, who=LESSON_WRITE, api=True),
    Row("POST", "/journal/api/attendance", more=("cell",), body=_attendance, json=True,
        who=LESSON_WRITE, api=True),
    Row("GET", "/journal/today", needs="journal.teach"),
    Row("GET", "/journal/lesson/{lesson_id:int}", ("lesson",), who=JOURNAL),
    Row("POST", "/journal/lesson/{lesson_id:int}/entry", ("lesson",), who=LESSON_WRITE,
        body=lambda v: {"topic": "Повторение", "homework": "№ 5", "version": "0"}),
    Row("POST", "/journal/lesson/{lesson_id:int}/attendance", ("lesson", "cell"), who=LESSON_WRITE,
        body=lambda v: {f"att-{v['cell'][1]}": "absent"}),
    Row("POST", "/journal/lesson/{lesson_id:int}/individual", ("lesson", "cell"), who=LESSON_WRITE,
        body=lambda v: {"student": v["cell"][1], "text": "Повторить правило"}),
    Row("POST", "/journal/lesson/{lesson_id:int}/files", ("lesson",), who=LESSON_WRITE,
        body=lambda v: {"file": ("zadanie.txt", b"zadanie")}),
    Row("POST", "/journal/file/{file_id:int}/remove", ("file",), who=LESSON_WRITE),
    # the lesson's people: its journal's viewers, its pupils and their parents (files.may_download)
    Row("GET", "/journal/file/{file_id:int}", ("file",), who={**JOURNAL, "parent": OWN, "student": OWN}),
    # absence notes: the class teacher for their class, the deputy head (journal.edit) any pupil
    Row("POST", "/journal/notes", more=("student",), who={"deputy": ALL, "class_teacher": OWN},
        body=lambda v: {"student": v["student"], "starts_on": v.today.isoformat(), "kind": "ill",
                        "note": "справка"}, needs=SEE_NOTES),
    Row("GET", "/journal/notes", more=("class",), query=lambda v: {"class": v["class"]},
        who={"admin": ALL, "deputy": ALL, "class_teacher": OWN}, needs=SEE_NOTES),
    Row("POST", "/journal/notes/{note_id:int}/remove", ("note",), who={"deputy": ALL, "class_teacher": OWN},
        needs=SEE_NOTES),
    Row("GET", "/journal/{key:str}/finals", ("journal",), who=JOURNAL, needs=SEE_JOURNALS),
    # finals: the journal's teachers and journal.edit write them; journal.view only reads
    Row("POST", "/journal/{key:str}/finals", ("journal", "cell"), who=JOURNAL_WRITE,
        body=lambda v: {"student": v["cell"][1], "kind": "period", "period": v["period"], "mark": "5"},
        seen=REFUSED, why="the administrator (journal.view) and the class teacher (a colleague's subject) "
                          "see the sheet, and are refused writing it", needs=SEE_JOURNALS),
    Row("POST", "/journal/{key:str}/finals/confirm", ("journal",), who=JOURNAL_WRITE,
        body=lambda v: {"kind": "period", "period": v["period"]},
        seen=REFUSED, why="the administrator and the class teacher see the sheet, and are refused "
                          "confirming it", needs=SEE_JOURNALS),
    Row("GET", "/journal/finals", needs=SEE_FINALS),
    Row("GET", "/journal/finals/mine", needs="journal.teach"),
    Row("POST", "/journal/periods/{period_id:int}/close", ("period",), needs="journal.approve"),
    Row("POST", "/journal/periods/{period_id:int}/reopen", ("period",), needs="journal.approve"),
    Row("GET", "/journal/corrections", needs=SEE_CORRECTIONS),
    Row("POST", "/journal/corrections/{correction_id:int}", ("correction",), needs="journal.approve"),
    Row("GET", "/journal/settings", needs="journal.settings"),
    Row("POST", "/journal/settings", needs="journal.settings"),
    Row("POST", "/journal/settings/systems", needs="journal.settings"),
    Row("POST", "/journal/settings/systems/{system_id:int}", ("system",), needs="journal.settings"),
    Row("POST", "/journal/settings/conversions", needs="journal.settings"),
    Row("POST", "/journal/settings/rules", needs="journal.settings"),
    Row("POST", "/journal/settings/rules/{rule_id:int}", ("rule",), needs="journal.settings"),
    Row("POST", "/journal/settings/rules/{rule_id:int}/remove", ("rule",), needs="journal.settings"),
    Row("POST", "/journal/settings/work-kinds", needs="journal.settings"),
    Row("POST", "/journal/settings/work-kinds/{kind_id:int}", ("work_kind",), needs="journal.settings"),
    Row("GET", "/journal/plans", needs=SEE_JOURNALS),
    Row("GET", "/journal/plans/sample.csv", needs=SEE_JOURNALS),
    Row("GET", "/journal/plans/{key:str}", ("journal",), who=JOURNAL, needs=SEE_JOURNALS),
    # a plan is loaded by the journal's teacher or journal.edit (plans.may_import): a preview
    # (200, nothing written) and its confirmation by a token of one's own upload
    Row("POST", "/journal/plans/{key:str}/preview", ("journal",), who=JOURNAL_WRITE,
        body=lambda v: {"file": ("ktp.csv", "№;Тема;Часы\n1;Повторение;1\n".encode())}, ok=GET_OK,
        seen=REFUSED, why="the administrator and the class teacher see the plan and are refused "
                          "loading one", needs=SEE_JOURNALS),
    Row("POST", "/journal/plans/{key:str}/apply", ("journal",), who=JOURNAL_WRITE,
        body=lambda v: {"token": "A" * 43}, ok=frozenset({400}), seen=REFUSED,
        why="a token of an upload not made here: refused (a real one: tests/journal/test_plans_routes.py)",
            needs=SEE_JOURNALS),
]

# --- diary ---------------------------------------------------------------------------------------

# A pupil's diary: the pupil, the parents, the class teacher of the class, journal.view.
DIARY_OF = {"admin": ALL, "deputy": ALL, "class_teacher": OWN, "parent": OWN, "student": OWN}

DIARY = [
    Row("GET", "/diary", ok=frozenset({303}), why="to one's own diary or the first child's",
        needs="diary.own"),
    Row("GET", "/acknowledgements", more=("class",), query=lambda v: {"class": v["class"]},
        who={"admin": ALL, "deputy": ALL, "class_teacher": OWN}, needs=SEE_ACKNOWLEDGEMENTS),
    Row("GET", "/classes/{class_id:int}/diary.pdf", ("class",),
        who={"admin": ALL, "deputy": ALL, "class_teacher": OWN}, needs=SEE_ACKNOWLEDGEMENTS),
    Row("GET", "/diary/{student:int}", ("student",), who=DIARY_OF),
    Row("POST", "/diary/{student:int}/finals", ("student",), who=own_only("parent"),
        body=lambda v: {"period": v.own("quarter")}, needs="diary.acknowledge"),
    Row("GET", "/diary/{student:int}/finals", ("student",), who=DIARY_OF),
    Row("GET", "/diary/{student:int}/subject/{key:str}", ("diary_subject",), who=DIARY_OF),
    # a parent's own e-mail digest; a pupil holds diary.own, but has no digest (404)
    Row("POST", "/diary/digest", who=every("parent"), body=lambda v: {"address": "roditel@example.org"},
        needs="diary.own"),
    Row("GET", "/diary/digest", who=every("parent"), needs="diary.own"),
]

# --- messages ------------------------------------------------------------------------------------

MESSAGES = [
    Row("GET", "/messages", needs="messages.use"),
    Row("POST", "/messages/new", needs="messages.use"),
    Row("GET", "/messages/new", needs="messages.use"),
    Row("GET", "/messages/unread", needs="messages.use"),
    Row("GET", "/messages/file/{file_id:int}", ("message_file",), who=SIDES, needs="messages.use"),
    Row("POST", "/messages/{thread_id:int}", ("thread",), who=SIDES, body=lambda v: {"body": "Спасибо!"},
        needs="messages.use"),
    Row("GET", "/messages/{thread_id:int}", ("thread",), who=SIDES, needs="messages.use"),
    Row("GET", "/answer-times", needs="messages.stats"),
]

# --- exchange, ops, reports, records, portal -----------------------------------------------------

EXCHANGE = [
    Row("GET", "/exchange", needs=SEE_EXCHANGE),
    Row("POST", "/exchange/preview", needs="exchange.import"),
    Row("POST", "/exchange/apply", needs="exchange.import"),
    Row("GET", "/exchange/export/{kind:str}", ("kind",), needs="exchange.export"),
]

OPS = [
    Row("GET", "/ops", needs=SEE_OPS),
    Row("POST", "/ops/planned", needs="ops.maintenance"),
    Row("POST", "/ops/planned/{maintenance_id:int}/cancel", ("maintenance",), needs="ops.maintenance"),
    Row("GET", "/ops/availability", needs=SEE_OPS),
    Row("GET", "/paper", needs=SEE_CLASSES),
    Row("GET", "/paper/{class_id:int}", ("class",), who=CLASS, needs=SEE_CLASSES),
]

# Reports of a class (?class=): reports.view any class; reports.own the class one leads (the
# secretary holds reports.own by default and leads none: 404); the observer's figures
# without names (reports.aggregate) of any class.
REPORT_CLASS = {"deputy": ALL, "class_teacher": OWN}
FIGURES = {**REPORT_CLASS, "observer": ALL, "admin": ALL}
SEE_REPORTS, SEE_FIGURES, SCHOOL_REPORTS = (("reports.view", "reports.own"),
                                           ("reports.view", "reports.own", "reports.aggregate"),
                                           ("reports.view",))
REPORT_WHO = {"summary-sheet": (SEE_REPORTS, REPORT_CLASS), "performance": (SEE_FIGURES, FIGURES),
              "attendance": (SEE_FIGURES, FIGURES), "completion": (SEE_REPORTS, REPORT_CLASS),
              "monitoring": (SCHOOL_REPORTS, every("deputy")), "authority": (SCHOOL_REPORTS, every("deputy")),
              "substitutions": (SCHOOL_REPORTS, every("deputy")), "class-summary": (SEE_REPORTS, REPORT_CLASS),
              "journal": (SEE_REPORTS, REPORT_CLASS)}
REPORTS = [
    *[Row("GET", f"/api/v1/reports/{name}", more=("class",), query=lambda v: {"class": v["class"]},
          needs=needs, who=who, api=True) for name, (needs, who) in REPORT_WHO.items()],
    Row("GET", "/reports", needs=SEE_REPORTS),
    *[Row("GET", f"/reports/{name}", more=("class",), query=lambda v: {"class": v["class"]},
          needs=needs, who=who) for name, (needs, who) in REPORT_WHO.items()],
    Row("GET", "/reports/oneroster", needs="reports.view"),
]

RECORDS = [
    Row("GET", "/archive", needs=SEE_ARCHIVE),
    Row("GET", "/archive/jobs", needs=SEE_ARCHIVE),
    Row("POST", "/archive/transcripts", more=("class",), who={"deputy": ALL, "admin": ALL, "class_teacher": OWN},
        body=lambda v: {"year": v.own("year"), "class": v["class"], "period": v["quarter"]},
            needs=ISSUE_TRANSCRIPTS),
    Row("GET", "/archive/documents/{doc_id:int}", ("document",),
        who={"admin": ALL, "deputy": ALL, "archivist": ALL, "class_teacher": OWN}, needs=SEE_ARCHIVE),
    Row("POST", "/archive/seal", needs="records.seal"),
    Row("POST", "/archive/years/{sealed_id:int}/reopen", ("sealed",), needs="records.seal"),
    Row("POST", "/archive/years/{sealed_id:int}/verify", ("sealed",), needs="archive.view"),
    Row("POST", "/archive/years/{sealed_id:int}/signature", ("sealed",), needs="archive.view"),
    Row("POST", "/archive/documents/{doc_id:int}/signature", ("document",), needs="archive.view"),
    Row("GET", "/archive/signatures/{signature_id:int}", ("signature",), needs="archive.view"),
    Row("GET", "/archive/years/{sealed_id:int}/{what:str}", ("sealed", "what"), needs="archive.view"),
    Row("POST", "/verify", public=True, ok=frozenset({400}), why="no file: refused on the form"),
    Row("GET", "/verify", public=True),
    Row("GET", "/v/{code:str}", ("code",), public=True),
]

PORTAL = [
    Row("GET", "/", public=True, ok=REDIRECT, why="to /login or /home"),
    Row("GET", "/home"),
    Row("GET", "/stats", needs="reports.aggregate"),
    Row("GET", "/readiness", needs="school.readiness"),
    Row("GET", "/healthz", public=True),
    Row("GET", "/readyz", public=True),
    Row("GET", "/schema", public=True, why="the API's documentation: no data"),
    Row("GET", "/schema/openapi.json", public=True, why="the API's schema: no data"),
    Row("GET", "/schema/{path:str}", ("schema_page",), public=True, ok=frozenset({404}),
        why="no other page of the schema"),
]

ROWS: list[Row] = [*ACCOUNTS, *AUDIT, *SCHOOL, *PEOPLE, *ORDERS, *TIMETABLE, *JOURNAL_ROWS, *DIARY,
                   *MESSAGES, *EXCHANGE, *OPS, *REPORTS, *RECORDS, *PORTAL]

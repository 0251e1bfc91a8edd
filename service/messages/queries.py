"""Reads of messages, always scoped by the viewer: to whom the viewer may write (``contacts``,
which the actions use to refuse as much as the pages use to offer), the viewer's threads, one
thread with its messages and files, the unread count, and the answer times of parents'
messages for the administration. A thread the viewer is not a side of does not exist (404):
not even the administration reads other people's correspondence.

Every function is one query (a thread page is two), whatever the number of threads or pupils."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from service.accounts.rights import STAFF
from service.accounts.viewer import Viewer
from service.db import fetch
from service.school.queries import in_force
from service.timetable.tables import Lesson

# who counts as staff: may write to colleagues and be written to by families
STAFF_ROLES = (*STAFF, "archivist", "nurse")
ADMINISTRATION = "messages.anyone"  # its holders answer families as «Администрация»
PAGE = 50

RANK_CLASS_TEACHER, RANK_TEACHER, RANK_ADMINISTRATION, RANK_COLLEAGUE, RANK_PUPIL = range(5)


@dataclass(frozen=True)
class Contact:
    """Someone the viewer may write to: ``person`` writing as ``side`` («parent», «student»,
    «staff»), the viewer writing as ``my_side``, about the pupil ``about`` (None between staff);
    ``why`` in Russian (the subject they teach, «Классный руководитель», the class)."""

    person: int
    name: str
    side: str
    about: int | None
    about_name: str
    my_side: str
    why: str
    rank: int
    class_id: int | None
    class_name: str

    @property
    def key(self) -> str:
        """The value a form sends for this contact: «person.about» (about 0: none)."""
        return f"{self.person}.{self.about or 0}"


def is_staff(viewer: Viewer) -> bool:
    return any(r in STAFF_ROLES for r in viewer.roles)


def _placeholders(items: tuple) -> str:
    return ", ".join("{}" for _ in items)


def _contacts_sql(viewer: Viewer, today: date) -> tuple[str, str, list]:
    """The union of every reason the viewer may write to someone, as (person, side, about,
    my_side, why, prio, class_id) rows — only the parts the viewer's roles allow: the common
    table expressions, the union, and their arguments in order."""
    me = viewer.person_id
    force = in_force
    ctes: list[tuple[str, list]] = []  # (sql, its arguments)
    parts: list[tuple[str, list]] = []
    kids: list[tuple[str, list]] = []
    if "parent" in viewer.roles:
        kids.append(("SELECT child AS kid, 'parent' AS side FROM parent_link WHERE parent = {}", [me]))
    if "student" in viewer.roles:
        kids.append((f"SELECT e.student AS kid, 'student' AS side FROM enrolment e WHERE e.student = {{}} "
                     f"AND {force('e')}", [me, today, today]))
    if kids:
        ctes.append((f"kids AS ({' UNION '.join(k for k, _ in kids)})", [a for _, args in kids for a in args]))
        ctes.append((f"""kid_class AS (
  SELECT k.kid, k.side, e.school_class AS class_id FROM kids k
  JOIN enrolment e ON e.student = k.kid AND {force('e')})""", [today, today]))
    # the administration: holders of messages.anyone with an active account
    ctes.append(("""holders AS (
  SELECT DISTINCT a.person FROM account a
  JOIN account_role ar ON ar.account = a.id
  JOIN role_permission rp ON rp.role = ar.role
  JOIN permission pm ON pm.id = rp.permission
  WHERE pm.code = {} AND a.is_active AND a.person IS NOT NULL)""", [ADMINISTRATION]))
    if kids:
        parts.append((f"""SELECT c.class_teacher AS person, 'staff' AS side, kc.kid AS about, kc.side AS my_side,
  'Классный руководитель' AS why, {RANK_CLASS_TEACHER} AS prio, CAST(NULL AS INTEGER) AS class_id
FROM kid_class kc JOIN school_class c ON c.id = kc.class_id WHERE c.class_teacher IS NOT NULL""", []))
        parts.append((f"""SELECT t.teacher AS person, 'staff' AS side, kc.kid AS about, kc.side AS my_side, s.name AS why,
  {RANK_TEACHER} AS prio, CAST(NULL AS INTEGER) AS class_id
FROM kid_class kc JOIN teaching_load t ON t.school_class = kc.class_id AND {force('t')}
JOIN subject s ON s.id = t.subject""", [today, today]))
        parts.append((f"""SELECT t.teacher AS person, 'staff' AS side, k.kid AS about, k.side AS my_side, s.name AS why,
  {RANK_TEACHER} AS prio, CAST(NULL AS INTEGER) AS class_id
FROM kids k JOIN group_member g ON g.student = k.kid AND {force('g')}
JOIN teaching_load t ON t.study_group = g.study_group AND {force('t')}
JOIN subject s ON s.id = t.subject""", [today, today, today, today]))
        parts.append((f"""SELECT h.person AS person, 'staff' AS side, k.kid AS about, k.side AS my_side, 'Администрация' AS why,
  {RANK_ADMINISTRATION} AS prio, CAST(NULL AS INTEGER) AS class_id FROM kids k CROSS JOIN holders h""", []))
    if is_staff(viewer):
        staff = tuple(STAFF_ROLES)
        parts.append((f"""SELECT DISTINCT a.person AS person, 'staff' AS side, CAST(NULL AS INTEGER) AS about, 'staff' AS my_side,
  CASE WHEN a.person IN (SELECT person FROM holders) THEN 'Администрация' ELSE 'Сотрудники' END AS why,
  CASE WHEN a.person IN (SELECT person FROM holders) THEN {RANK_ADMINISTRATION} ELSE {RANK_COLLEAGUE} END AS prio,
  CAST(NULL AS INTEGER) AS class_id
FROM account a JOIN account_role ar ON ar.account = a.id JOIN role r ON r.id = ar.role
WHERE r.code IN ({_placeholders(staff)}) AND a.person IS NOT NULL""", list(staff)))
        if viewer.can(ADMINISTRATION):
            pupils = [(f"SELECT e.student AS kid, e.school_class AS class_id FROM enrolment e WHERE {force('e')}",
                       [today, today])]
        else:
            pupils = [
                (f"""SELECT e.student AS kid, e.school_class AS class_id FROM teaching_load t
JOIN enrolment e ON e.school_class = t.school_class AND {force('e')}
WHERE t.teacher = {{}} AND {force('t')}""", [today, today, me, today, today]),
                (f"""SELECT e.student, e.school_class FROM teaching_load t
JOIN group_member g ON g.study_group = t.study_group AND {force('g')}
JOIN enrolment e ON e.student = g.student AND {force('e')}
WHERE t.teacher = {{}} AND {force('t')}""", [today, today, today, today, me, today, today]),
                (f"""SELECT e.student, e.school_class FROM school_class c
JOIN enrolment e ON e.school_class = c.id AND {force('e')} WHERE c.class_teacher = {{}}""", [today, today, me]),
            ]
        ctes.append((f"pupils AS ({' UNION '.join(p for p, _ in pupils)})", [a for _, args in pupils for a in args]))
        parts.append((f"SELECT p.kid AS person, 'student' AS side, p.kid AS about, 'staff' AS my_side, '' AS why, "
                      f"{RANK_PUPIL} AS prio, p.class_id AS class_id FROM pupils p", []))
        parts.append((f"""SELECT pl.parent AS person, 'parent' AS side, p.kid AS about, 'staff' AS my_side, '' AS why,
  {RANK_PUPIL} AS prio, p.class_id AS class_id
FROM pupils p JOIN parent_link pl ON pl.child = p.kid""", []))
    if not parts:
        return "", "", []
    args = [a for _, xs in ctes for a in xs] + [a for _, xs in parts for a in xs]
    return ("WITH " + ",\n".join(c for c, _ in ctes), "\nUNION ALL\n".join(p for p, _ in parts), args)


async def contacts(viewer: Viewer, today: date, *, person: int | None = None,
                   class_id: int | None = None) -> list[Contact]:
    """Everyone the viewer may write to today — a family: their children's class teachers and
    teachers and the administration; staff: colleagues, the pupils they teach or lead and
    those pupils' parents (the administration: every pupil and parent). Only people with an
    active account (nobody else could read it). ``person``: only that one (the actions'
    check); ``class_id``: pupils and parents of that class only (staff and the administration
    stay). One query."""
    if viewer.person_id is None or not viewer.can("messages.use"):
        return []
    ctes, union, args = _contacts_sql(viewer, today)
    if not union:
        return []
    where = ["x.person <> {}", "EXISTS (SELECT 1 FROM account a WHERE a.person = x.person AND a.is_active)"]
    args.append(viewer.person_id)
    if person is not None:
        where.append("x.person = {}")
        args.append(person)
    if class_id is not None:
        where.append("(x.class_id IS NULL OR x.class_id = {})")
        args.append(class_id)
    sql = f"""{ctes}
SELECT x.person AS x_person, x.side AS x_side, x.about AS x_about, x.my_side AS x_my_side, x.why AS x_why,
  x.prio AS x_prio, x.class_id AS x_class, p.last_name AS p_last, p.first_name AS p_first,
  p.middle_name AS p_middle, k.last_name AS k_last, k.first_name AS k_first, c.name AS c_name
FROM (
{union}
) x
JOIN person p ON p.id = x.person
LEFT JOIN person k ON k.id = x.about
LEFT JOIN school_class c ON c.id = x.class_id
WHERE {' AND '.join(where)}"""
    rows = await fetch(sql, *args)
    merged: dict[tuple, dict] = {}
    for (who, side, about, my_side, why, rank, cls, p_last, p_first, p_middle, k_last, k_first, c_name) in rows:
        key = (who, side, about, my_side)
        entry = merged.get(key)
        if entry is None:
            merged[key] = {"person": who, "side": side, "about": about, "my_side": my_side, "why": [why] if why else [],
                           "rank": rank, "class_id": cls, "class_name": c_name or "",
                           "name": " ".join(n for n in (p_last, p_first, p_middle) if n),
                           "about_name": " ".join(n for n in (k_first, k_last) if n) if about is not None else ""}
        else:
            entry["rank"] = min(entry["rank"], rank)
            if why and why not in entry["why"]:
                entry["why"].append(why)
    out = [Contact(person=e["person"], name=e["name"], side=e["side"], about=e["about"],
                   about_name=e["about_name"], my_side=e["my_side"], why=", ".join(sorted(e["why"])),
                   rank=e["rank"], class_id=e["class_id"], class_name=e["class_name"])
           for e in merged.values()]
    out.sort(key=lambda c: (c.about_name, c.rank, c.class_name, c.side != "student", c.name))
    return out


def pick(found: list[Contact], about: int | None) -> Contact | None:
    """The contact of ``contacts(person=…)`` concerning ``about``: a family's own capacity first."""
    chosen = [c for c in found if c.about == about]
    chosen.sort(key=lambda c: (c.my_side == "staff", c.rank))
    return chosen[0] if chosen else None


_THREADS_SQL = """
SELECT t.id AS id, t.subject AS subject, t.last_at AS last_at, t.started_at AS started_at,
  t.starter AS starter, t.recipient AS recipient, t.starter_as AS starter_as, t.recipient_as AS recipient_as,
  t.starter_unread AS starter_unread, t.recipient_unread AS recipient_unread, t.about AS about,
  s.last_name AS s_last, s.first_name AS s_first, s.middle_name AS s_middle,
  r.last_name AS r_last, r.first_name AS r_first, r.middle_name AS r_middle,
  k.last_name AS k_last, k.first_name AS k_first,
  (SELECT m.body FROM thread_message m WHERE m.thread = t.id ORDER BY m.id DESC LIMIT 1) AS last_body,
  (SELECT m.author FROM thread_message m WHERE m.thread = t.id ORDER BY m.id DESC LIMIT 1) AS last_author
FROM message_thread t
JOIN person s ON s.id = t.starter
JOIN person r ON r.id = t.recipient
LEFT JOIN person k ON k.id = t.about
WHERE (t.starter = {} OR t.recipient = {}) %s
ORDER BY t.last_at DESC, t.id DESC
LIMIT {} OFFSET {}
"""

SIDE_NAMES = {"parent": "родитель", "student": "ученик", "staff": "сотрудник"}


def _thread(r: dict, me: int) -> dict:
    mine = r["starter"] == me
    p = "r" if mine else "s"
    return {
        "id": r["id"], "mine": mine, "subject": r["subject"], "last_at": r["last_at"], "started_at": r["started_at"],
        "other": r["recipient"] if mine else r["starter"],
        "other_name": " ".join(n for n in (r[f"{p}_last"], r[f"{p}_first"], r[f"{p}_middle"]) if n),
        "other_as": r["recipient_as"] if mine else r["starter_as"],
        "my_as": r["starter_as"] if mine else r["recipient_as"],
        "unread": r["starter_unread"] if mine else r["recipient_unread"],
        "about": r["about"],
        "about_name": " ".join(n for n in (r["k_first"], r["k_last"]) if n) if r["about"] is not None else "",
        "last_body": r.get("last_body") or "", "last_mine": r.get("last_author") == me,
    }


async def threads(viewer: Viewer, page: int = 1, unread_only: bool = False) -> tuple[list[dict], bool]:
    """The viewer's threads, newest first, ``PAGE`` a page; and whether there are more."""
    me = viewer.person_id
    if me is None:
        return [], False
    extra = ("AND ((t.starter = {} AND t.starter_unread > 0) OR (t.recipient = {} AND t.recipient_unread > 0))"
             if unread_only else "")
    args: list = [me, me] + ([me, me] if unread_only else []) + [PAGE + 1, (page - 1) * PAGE]
    rows = await Lesson.raw(_THREADS_SQL % extra, *args).run()
    return [_thread(r, me) for r in rows[:PAGE]], len(rows) > PAGE


async def thread(viewer: Viewer, thread_id: int) -> dict | None:
    """One of the viewer's threads (None: not theirs, or no such thread → 404)."""
    me = viewer.person_id
    if me is None or not 0 < thread_id <= 2**31 - 1:
        return None
    sql = (_THREADS_SQL % "AND t.id = {}")
    rows = await Lesson.raw(sql, me, me, thread_id, 1, 0).run()
    return _thread(rows[0], me) if rows else None


_MESSAGES_SQL = """
SELECT m.id AS id, m.author AS author, m.author_as AS author_as, m.body AS body, m.sent_at AS sent_at,
  m.read_at AS read_at, m.answered_at AS answered_at,
  f.id AS file_id, f.name AS file_name, f.size AS file_size
FROM thread_message m LEFT JOIN message_file f ON f.message = m.id
WHERE m.thread = {}
ORDER BY m.id, f.id
"""


async def messages(thread_id: int) -> list[dict]:
    """The thread's messages, oldest first, each with its files. One query."""
    out: dict[int, dict] = {}
    for r in await Lesson.raw(_MESSAGES_SQL, thread_id).run():
        m = out.get(r["id"])
        if m is None:
            m = out[r["id"]] = {k: r[k] for k in ("id", "author", "author_as", "body", "sent_at", "read_at",
                                                  "answered_at")}
            m["files"] = []
        if r["file_id"] is not None:
            m["files"].append({"id": r["file_id"], "name": r["file_name"], "size": r["file_size"]})
    return list(out.values())


async def unread(viewer: Viewer) -> int:
    """How many messages wait for the viewer to open them. One indexed query."""
    me = viewer.person_id
    if me is None:
        return 0
    rows = await fetch(
        "SELECT COALESCE(SUM(CASE WHEN starter = {} THEN starter_unread ELSE recipient_unread END), 0) AS n "
        "FROM message_thread WHERE (starter = {} AND starter_unread > 0) OR (recipient = {} AND recipient_unread > 0)",
        me, me, me)
    return int(rows[0][0] or 0)


async def file_row(viewer: Viewer, file_id: int) -> dict | None:
    """An attachment of one of the viewer's threads (None: not theirs → 404)."""
    me = viewer.person_id
    if me is None or not 0 < file_id <= 2**31 - 1:
        return None
    rows = await Lesson.raw(
        "SELECT f.id, f.name, f.content_type, f.size, f.sha256 FROM message_file f "
        "JOIN thread_message m ON m.id = f.message JOIN message_thread t ON t.id = m.thread "
        "WHERE f.id = {} AND (t.starter = {} OR t.recipient = {})", file_id, me, me).run()
    return rows[0] if rows else None


# A parent's message starts a wait when the message before it in the thread is not theirs (or
# there is none); the wait ends with the other side's next message (``answered_at``). Later
# messages of the same wait are not counted again.
_WAITS_SQL = """
SELECT w.addressee AS addressee, w.sent_at AS sent_at, w.answered_at AS answered_at, w.read_at AS read_at,
  p.last_name AS last_name, p.first_name AS first_name, p.middle_name AS middle_name
FROM (
  SELECT m.addressee, m.author, m.author_as, m.sent_at, m.answered_at, m.read_at,
    LAG(m.author) OVER (PARTITION BY m.thread ORDER BY m.id) AS previous_author
  FROM thread_message m
  WHERE m.thread IN (SELECT t.id FROM message_thread t WHERE t.starter_as = 'parent' OR t.recipient_as = 'parent')
) w
JOIN person p ON p.id = w.addressee
WHERE w.author_as = 'parent' AND (w.previous_author IS NULL OR w.previous_author <> w.author)
  AND w.sent_at >= {} AND w.sent_at < {}
ORDER BY p.last_name, p.first_name, w.sent_at
"""


async def parent_waits(start: datetime, end: datetime) -> list[dict]:
    """Each wait of a parent for an answer that began in [start, end): to whom, when it began,
    when it was read and answered (None: not yet). For the administration's statistics only —
    no text, no family names. One query."""
    return await Lesson.raw(_WAITS_SQL, start, end).run()

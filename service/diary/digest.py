"""The daily digest by e-mail to parents (issue 10 item 5, R-DIARY-1): what the diary shows of a
day, sent to the parents who asked for it, through the school's own mail server (``[mail]`` in
ezh.toml; off by default — nothing leaves the school unless the school configures it).

Per parent, per child: the day's new grades (subject, mark, kind of work, weight), absences with
their reason, and the next school day's lessons with the homework due for them and the
timetable's changes. A parent gets only their own children (``parent_link``), only when
subscribed (``digest_subscription``), with an address (``person.email``) and an active account
holding ``diary.own``; nothing is sent when there is nothing new.

Read for the whole day at once, whatever the number of parents (style: constant query counts):
five queries — the recipients with their children, the next school days, the children's lessons
of the next school day (the timetable's own rule of whose lesson is whose,
``views.student_where``, bound to each child as in the class printout), the day's grades and
absences, and the homework due at those lessons. Each message sent is then recorded
(``actions.do_record_digest_sent``, audited) right after the mail server took it, so a run that
breaks off half-way leaves the rest for the next run and sends nobody the same day twice."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from zoneinfo import ZoneInfo

from service.audit.log import Actor
from service.diary import actions, queries
from service.school.queries import in_force
from service.settings import Settings
from service.timetable import rules as timetable_rules
from service.timetable import views
from service.timetable.tables import Lesson
from service.web import render_text

MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
          "октября", "ноября", "декабря")
WEEKDAYS_LOWER = ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье")
NEXT_DAYS_LOOKED_AT = 14  # a holiday longer than two weeks: no «next school day» in the digest
HOMEWORK_LOOKBACK_DAYS = 60  # homework due at a lesson was given at an earlier lesson of its journal
EARLIER_GRADES_DAYS = 30  # a grade entered on the day for a lesson up to a month before is news too


@dataclass
class ChildDay:
    """One child's part of a digest."""

    id: int
    name: str
    class_name: str
    grades: list[dict] = field(default_factory=list)
    absences: list[dict] = field(default_factory=list)
    next_day: date | None = None
    lessons: list[dict] = field(default_factory=list)

    @property
    def news(self) -> bool:
        """Something the parent did not know this morning: a grade, an absence, homework due or
        a change of the next school day's lessons."""
        return bool(self.grades or self.absences
                    or any(x["homework"] or x["own_homework"] or x["changes"] for x in self.lessons))


@dataclass
class Digest:
    """The digest of ``day`` for one parent."""

    parent: int
    address: str
    name: str  # «Елена Викторовна»: how the letter greets them
    day: date
    children: list[ChildDay]

    @property
    def news(self) -> bool:
        return any(c.news for c in self.children)


# --- the reads, batched by the day ---------------------------------------------------------------

_RECIPIENTS_SQL = f"""
SELECT s.person AS parent, pp.email, pp.first_name AS p_first, pp.middle_name AS p_middle,
       c.id AS child, c.last_name, c.first_name, MIN(sc.name) AS class_name
FROM digest_subscription s
JOIN person pp ON pp.id = s.person
JOIN parent_link pl ON pl.parent = s.person
JOIN person c ON c.id = pl.child
JOIN enrolment e ON e.student = c.id AND {in_force("e")}
JOIN school_class sc ON sc.id = e.school_class
WHERE s.enabled = {{}} AND pp.email <> ''
  AND NOT EXISTS (SELECT 1 FROM digest_sent d WHERE d.person = s.person AND d.day = {{}})
  AND EXISTS (SELECT 1 FROM account a JOIN account_role ar ON ar.account = a.id
              JOIN role_permission rp ON rp.role = ar.role JOIN permission pm ON pm.id = rp.permission
              WHERE a.person = s.person AND a.is_active = {{}} AND pm.code = 'diary.own')
GROUP BY s.person, pp.email, pp.first_name, pp.middle_name, c.id, c.last_name, c.first_name
ORDER BY s.person, c.first_name, c.id
"""

_NEXT_DAYS_SQL = """
SELECT DISTINCT on_date FROM lesson WHERE on_date > {} AND on_date <= {} ORDER BY on_date LIMIT 2
"""


def _as_date(value: date | str) -> date:
    """A date read from a UNION (SQLite gives such a column back as text)."""
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _ids(n: int) -> str:
    return ", ".join(["{}"] * n)


def _lessons_sql(children: int, days: int) -> str:
    """Every (child, lesson) of the next school days, with the lesson that set the homework due
    at it: the latest earlier lesson of the same journal (subject and class, group or pupil)."""
    where, excluded, _ = views.student_where()
    where, excluded = where.replace("{}", "pq.pupil"), excluded.replace("{}", "pq.pupil")
    return f"""
SELECT pq.pupil, {queries.WEEK_COLUMNS},
       (SELECT l2.id FROM lesson l2
        WHERE l2.subject = l.subject AND COALESCE(l2.school_class, 0) = COALESCE(l.school_class, 0)
              AND COALESCE(l2.study_group, 0) = COALESCE(l.study_group, 0)
              AND COALESCE(l2.student, 0) = COALESCE(l.student, 0)
              AND l2.on_date < l.on_date AND l2.on_date >= {{}} AND l2.cancelled = {{}}
        ORDER BY l2.on_date DESC, l2.number DESC, l2.id DESC LIMIT 1) AS due_lesson
       {excluded}
FROM (SELECT p.id AS pupil FROM person p WHERE p.id IN ({_ids(children)})) pq
JOIN lesson l ON l.on_date IN ({_ids(days)})
     AND (l.student = pq.pupil
          OR l.school_class IN (SELECT e.school_class FROM enrolment e WHERE e.student = pq.pupil)
          OR l.study_group IN (SELECT gm.study_group FROM group_member gm WHERE gm.student = pq.pupil))
     AND ({where})
{queries.WEEK_JOINS}
ORDER BY pq.pupil, l.on_date, l.number, l.id
"""


def _day_sql(children: int) -> str:
    """The children's grades of the day — at the day's lessons, or entered that day for a
    lesson of the month before — and their absences at the day's lessons."""
    ids = _ids(children)
    return f"""
SELECT 'g' AS what, g.student, l.on_date, l.number, s.name AS subject_name, g.position AS pos,
       g.mark AS text, g.weight, w.name AS kind, g.comment AS note
FROM grade g JOIN lesson l ON l.id = g.lesson JOIN subject s ON s.id = l.subject
JOIN work_kind w ON w.id = g.work_kind
WHERE g.student IN ({ids}) AND g.removed_at IS NULL
  AND (l.on_date = {{}} OR (l.on_date < {{}} AND l.on_date >= {{}} AND g.created_at >= {{}} AND g.created_at < {{}}))
UNION ALL
SELECT 'a', a.student, l.on_date, l.number, s.name, a.minutes, a.kind, NULL, '', a.note
FROM attendance a JOIN lesson l ON l.id = a.lesson JOIN subject s ON s.id = l.subject
WHERE a.student IN ({ids}) AND l.on_date = {{}}
ORDER BY 3, 4, 6
"""


def _homework_sql(lessons: int, children: int) -> str:
    """Homework given at the lessons that set what is due: for everyone, and each child's own."""
    return f"""
SELECT 'e' AS what, le.lesson, NULL AS student, le.homework AS text
FROM lesson_entry le WHERE le.lesson IN ({_ids(lessons)}) AND le.homework <> ''
UNION ALL
SELECT 'h', h.lesson, h.student, h.text
FROM homework_individual h
WHERE h.lesson IN ({_ids(lessons)}) AND h.student IN ({_ids(children)}) AND h.removed_at IS NULL
"""


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The school's day as UTC instants [start, end): what «entered that day» means."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


async def collect(day: date, tz: ZoneInfo) -> list[Digest]:
    """The digests of ``day`` still to send, one per subscribed parent with an address and
    something new (in order of the parent's id). Five queries, whatever the number of parents."""
    rows = await Lesson.raw(_RECIPIENTS_SQL, day, day, True, day, True).run()
    if not rows:
        return []
    digests: dict[int, Digest] = {}
    children: dict[int, ChildDay] = {}
    parents_of: dict[int, list[Digest]] = {}
    for r in rows:
        d = digests.get(r["parent"])
        if d is None:
            greeting = " ".join(x for x in (r["p_first"], r["p_middle"]) if x)
            d = digests[r["parent"]] = Digest(r["parent"], r["email"], greeting, day, [])
        child = children.get(r["child"])
        if child is None:
            child = children[r["child"]] = ChildDay(r["child"], f"{r['last_name']} {r['first_name']}",
                                                    r["class_name"] or "")
        d.children.append(child)  # one ChildDay per child: two parents read the same facts
        parents_of.setdefault(child.id, []).append(d)
    ids = list(children)

    next_days = [_as_date(r["on_date"]) for r in await Lesson.raw(
        _NEXT_DAYS_SQL, day, day + timedelta(days=NEXT_DAYS_LOOKED_AT)).run()]
    if next_days:
        lessons = await Lesson.raw(_lessons_sql(len(ids), len(next_days)),
                                   day - timedelta(days=HOMEWORK_LOOKBACK_DAYS), False,
                                   *ids, *next_days).run()
        lessons = [x for x in lessons if not x["excluded"]]
        for x in lessons:
            child = children[x["pupil"]]
            if child.next_day is None:
                child.next_day = x["on_date"]  # ordered by date: the child's next school day
            if x["on_date"] == child.next_day:
                child.lessons.append(x)
        due = sorted({x["due_lesson"] for c in children.values() for x in c.lessons if x["due_lesson"]})
        homework = await Lesson.raw(_homework_sql(len(due), len(ids)), *due, *due, *ids).run() if due else []
        for_all = {h["lesson"]: h["text"] for h in homework if h["what"] == "e"}
        own: dict[tuple[int, int], list[str]] = {}
        for h in homework:
            if h["what"] == "h":
                own.setdefault((h["lesson"], h["student"]), []).append(h["text"])
        for child in children.values():
            for x in child.lessons:
                x["changes"] = views.changes_of(x)
                x["due_homework"] = for_all.get(x["due_lesson"], "") if not x["cancelled"] else ""
                x["own_homework"] = own.get((x["due_lesson"], child.id), []) if not x["cancelled"] else []
                x["homework"] = x["due_homework"]

    start, end = day_bounds(day, tz)
    for r in await Lesson.raw(_day_sql(len(ids)), *ids, day, day, day - timedelta(days=EARLIER_GRADES_DAYS),
                              start, end, *ids, day).run():
        child = children[r["student"]]
        r["on_date"] = _as_date(r["on_date"])
        if r["what"] == "g":
            child.grades.append({"subject": r["subject_name"], "mark": r["text"], "kind": r["kind"],
                                 "weight": queries.weight_text(r["weight"]), "comment": r["note"] or "",
                                 "on_date": r["on_date"], "earlier": r["on_date"] != day})
        else:
            child.absences.append({"subject": r["subject_name"], "number": r["number"],
                                   "letter": queries.ABSENCE_LETTER.get(r["text"], r["text"]),
                                   "reason": queries.ABSENCE.get(r["text"], r["text"]),
                                   "minutes": r["pos"], "note": r["note"] or ""})
    return [d for d in digests.values() if d.news]


# --- the letter ----------------------------------------------------------------------------------


def day_text(day: date) -> str:
    """«среду, 25 ноября 2026 г.»"""
    return f"{WEEKDAYS_LOWER[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year} г."


def subject_line(d: Digest, school: str) -> str:
    return f"{school}: сводка за {d.day:%d.%m.%Y}"


def diary_link(base_url: str, child: int | None = None) -> str:
    """The diary's address on the journal's public address (``[server] public_url``); none when
    the school has not set one: a link to the wrong host is worse than no link."""
    base = base_url.rstrip("/")
    if not base:
        return ""
    return f"{base}/diary/{child}" if child is not None else f"{base}/diary/digest"


def _grade_line(g: dict) -> str:
    parts = [g["kind"]] + ([f"вес {g['weight']}"] if g["weight"] else [])
    line = f"{g['subject']}: {g['mark']} ({', '.join(parts)})"
    if g["earlier"]:
        line += f", за урок {g['on_date']:%d.%m}"
    return line + (f" — {g['comment']}" if g["comment"] else "")


def _absence_line(a: dict) -> str:
    number = timetable_rules.lesson_name(a["number"]) if a["number"] is not None else ""
    reason = a["reason"] + (f", {a['minutes']} мин" if a["minutes"] else "")
    line = f"{a['subject']}" + (f", {number}" if number else "") + f": {a['letter']} — {reason}"
    return line + (f" ({a['note']})" if a["note"] else "")


def _lesson_line(x: dict) -> list[str]:
    head = f"{x['number']}. {x['subject_name']}" + (f" ({x['group_name']})" if x["group_name"] else "")
    lines = [head + (f" — изменение: {'; '.join(x['changes'])}" if x["changes"] else "")]
    if x["homework"]:
        lines.append(f"   Домашнее задание: {x['homework']}")
    for text in x["own_homework"]:
        lines.append(f"   Задание лично: {text}")
    return lines


def plain_text(d: Digest, school: str, base_url: str) -> str:
    """The letter as plain text (what every mail program shows)."""
    out = [f"Здравствуйте{', ' + d.name if d.name else ''}!", "",
           f"Сводка электронного журнала за {day_text(d.day)}", ""]
    for c in d.children:
        out.append(f"{c.name}, {c.class_name}" if c.class_name else c.name)
        out.append("-" * len(out[-1]))
        if c.grades:
            out.append("Отметки:")
            out += [f"  {_grade_line(g)}" for g in c.grades]
        if c.absences:
            out.append("Пропуски:")
            out += [f"  {_absence_line(a)}" for a in c.absences]
        if c.lessons and c.next_day is not None:
            out.append(f"Уроки на {day_text(c.next_day)}:")
            for x in c.lessons:
                out += [f"  {line}" for line in _lesson_line(x)]
        if not c.news:
            out.append("Новых отметок, пропусков и заданий нет.")
        if link := diary_link(base_url, c.id):
            out.append(f"Дневник: {link}")
        out.append("")
    out.append("Письмо отправлено автоматически: вы включили ежедневную сводку в электронном "
               f"журнале ({school}). Отвечать на него не нужно.")
    if link := diary_link(base_url):
        out.append(f"Отключить сводку или сменить адрес: {link}")
    else:
        out.append("Отключить сводку или сменить адрес: «Дневник» → «Сводка на почту».")
    return "\n".join(out) + "\n"


def message(d: Digest, settings: Settings) -> EmailMessage:
    """The e-mail: Russian plain text with a simple HTML alternative (templates/diary/digest_mail.html)."""
    school, base_url = settings.school.name, settings.server.public_url
    msg = EmailMessage()
    msg["Subject"] = subject_line(d, school)
    msg["From"] = settings.mail.sender
    msg["To"] = formataddr(("", d.address))
    msg["Message-ID"] = make_msgid(domain=_sender_domain(settings.mail.sender))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay quiet
    msg.set_content(plain_text(d, school, base_url))
    html = render_text("diary/digest_mail.html", digest=d, school=school, day_text=day_text,
                       links={c.id: diary_link(base_url, c.id) for c in d.children},
                       settings_link=diary_link(base_url), grade_line=_grade_line,
                       absence_line=_absence_line, subject=msg["Subject"])
    msg.add_alternative(html, subtype="html")
    return msg


def _sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


# --- sending ---------------------------------------------------------------------------------------


class MailError(Exception):
    """The mail server could not be reached, refused to let us in, or broke off: the message
    says so in Russian."""


class Mailer:
    """One SMTP connection to the school's server for a run (the standard library's smtplib,
    called in a worker thread so that the event loop is not stalled)."""

    def __init__(self, settings: Settings):
        self.mail = settings.mail
        self.smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.mail.host}:{self.mail.port}"

    def _password(self) -> str:
        path = self.mail.password_file
        if str(path) in ("", "."):
            return ""
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MailError(f"не удаётся прочитать файл пароля почты {path} ([mail] password_file): "
                            f"{exc.strerror}") from None

    def _connect(self) -> smtplib.SMTP:
        timeout = 30
        if self.mail.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.mail.host, self.mail.port, timeout=timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.mail.host, self.mail.port, timeout=timeout)
        try:
            smtp.ehlo()
            if self.mail.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.mail.user:
                smtp.login(self.mail.user, self._password())
        except BaseException:
            smtp.close()
            raise
        return smtp

    async def open(self) -> None:
        if not self.mail.host:
            raise MailError("не задан почтовый сервер ([mail] host в ezh.toml)")
        try:
            self.smtp = await asyncio.to_thread(self._connect)
        except MailError:
            raise
        except smtplib.SMTPAuthenticationError:
            raise MailError(f"почтовый сервер {self.where} не принял учётную запись «{self.mail.user}» "
                            "(проверьте [mail] user и файл пароля)") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"не удалось связаться с почтовым сервером {self.where}: {_reason(exc)}") from None

    async def send(self, msg: EmailMessage) -> None:
        """Hand one message to the server. ``smtplib.SMTPRecipientsRefused``: the server refused
        this address (others may still go); ``MailError``: the connection is lost."""
        assert self.smtp is not None
        try:
            await asyncio.to_thread(self.smtp.send_message, msg)
        except smtplib.SMTPRecipientsRefused:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"почтовый сервер {self.where} прервал отправку: {_reason(exc)}") from None

    async def close(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            try:
                await asyncio.to_thread(smtp.quit)
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "соединение отклонено (сервер не запущен или порт закрыт)"
    if isinstance(exc, TimeoutError):
        return "нет ответа (время ожидания истекло)"
    if isinstance(exc, ssl.SSLError):
        return f"ошибка TLS ({exc.reason or exc})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"ответ сервера {exc.smtp_code}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


@dataclass
class Outcome:
    """What a run did: addresses sent to, failed (not recorded: the next run tries them again),
    and the Russian lines the command prints."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.error


MAIL_OFF = ("рассылка сводок родителям выключена ([mail] enabled = false в ezh.toml): "
            "ничего не отправлено.")


async def run(settings: Settings, day: date, *, dry_run: bool = False,
              mailer_for: Callable[[Settings], Mailer] = Mailer) -> Outcome:
    """Send the digests of ``day`` (``ezh digest``). With mail off, nothing is read or sent;
    with ``dry_run``, the letters are described and nothing is sent or recorded."""
    out = Outcome()
    if not settings.mail.enabled:
        out.lines.append(MAIL_OFF[0].upper() + MAIL_OFF[1:])
        return out
    digests = await collect(day, settings.tz)
    if dry_run:
        for d in digests:
            out.lines.append(f"→ {d.address}: «{subject_line(d, settings.school.name)}»")
            out.lines.append(plain_text(d, settings.school.name, settings.server.public_url))
        out.lines.append(f"Писем к отправке за {day:%d.%m.%Y}: {len(digests)}. Проверка (--dry-run): "
                         "ничего не отправлено.")
        return out
    if not digests:
        out.lines.append(f"Сводка за {day:%d.%m.%Y}: отправлять некому (нет новых отметок, пропусков "
                         "и заданий или все письма уже отправлены).")
        return out
    mailer = mailer_for(settings)
    actor = Actor.system("ezh digest")
    try:
        await mailer.open()
        for i, d in enumerate(digests):
            try:
                await mailer.send(message(d, settings))
            except smtplib.SMTPRecipientsRefused:
                out.failed.append(d.address)
                continue
            except MailError:
                out.failed += [x.address for x in digests[i:]]
                raise
            await actions.do_record_digest_sent(actor, d.parent, day, d.address)
            out.sent.append(d.address)
    except MailError as exc:
        out.error = str(exc)
        if not out.failed:
            out.failed = [d.address for d in digests]
    finally:
        await mailer.close()
    out.lines.append(f"Сводка за {day:%d.%m.%Y}: отправлено писем {len(out.sent)}"
                     + (f", не отправлено {len(out.failed)} (их отправит следующий запуск)" if out.failed else "")
                     + ".")
    return out

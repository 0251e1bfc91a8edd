"""The diary's writes: a parent acknowledges a period's finals of their child («Ознакомлен(а)»,
004 item 6, R-GRADE-6); a parent chooses the daily digest by e-mail, and `ezh digest` records
each digest it sent (issue 10 item 5, below).

Only a parent linked to the pupil, and only once the finals of the period are visible to the
family (``final_queries.family_view`` says so: the finals date has come or the period is
closed); before that it is refused in Russian and nothing changes. One row per period ×
pupil × parent: a second acknowledgement — or two at once — adds nothing and is no error
(``INSERT … ON CONFLICT DO NOTHING`` on the unique index). Audited in the same transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from service import forms
from service.accounts.viewer import Viewer
from service.audit.log import Actor, record
from service.db import atomic
from service.errors import NotFound, Refused
from service.journal import access, final_queries
from service.settings import get_settings
from service.timetable.tables import Lesson


@dataclass(frozen=True)
class Acknowledged:
    period: int
    at: datetime
    new: bool  # False: this parent had already acknowledged it


def visible_periods(view: list[dict], today: date) -> dict[int, dict]:
    """Periods of ``family_view`` whose finals the family sees now, by id."""
    return {p["id"]: p for j in view for p in j["periods"] if today >= p["finals_from"] or p["closed"]}


def all_periods(view: list[dict]) -> dict[int, dict]:
    return {p["id"]: p for j in view for p in j["periods"]}


async def do_acknowledge(viewer: Viewer, student: int, period: int, today: date) -> Acknowledged:
    """Record that the viewer (a parent of ``student``) saw the finals of ``period``.

    ``NotFound`` unless the viewer is the pupil's parent and the period is one of the pupil's;
    ``Refused`` while the period's finals are not yet visible to families."""
    if (viewer.person_id is None or not viewer.can("diary.acknowledge")
            or not 0 < student <= 2**31 - 1 or not 0 < period <= 2**31 - 1):
        raise NotFound()
    link = await Lesson.raw("SELECT 1 FROM parent_link WHERE parent = {} AND child = {}",
                            viewer.person_id, student).run()
    if not link:
        raise NotFound()
    view = await final_queries.family_view(student, today)
    known = all_periods(view)
    if period not in known:
        raise NotFound()
    if period not in visible_periods(view, today):
        p = known[period]
        raise Refused(f"Итоговые отметки за период «{p['name']}» ещё не опубликованы: ознакомиться с "
                      f"ними можно с {p['finals_from']:%d.%m.%Y}. Ничего не изменено.", field="period")
    at = access.now()
    async with atomic():
        made = await Lesson.raw(
            "INSERT INTO finals_acknowledgement (period, student, parent, acknowledged_at) "
            "VALUES ({}, {}, {}, {}) ON CONFLICT (period, student, parent) DO NOTHING RETURNING id",
            period, student, viewer.person_id, at).run()
        if made:
            await record(viewer.actor, "diary.finals_acknowledged", "student", student,
                         new={"period": period, "period_name": known[period]["name"],
                              "parent": viewer.person_id, "at": at.isoformat()})
            return Acknowledged(period, at, True)
    rows = await Lesson.raw(
        "SELECT acknowledged_at FROM finals_acknowledgement WHERE period = {} AND student = {} AND parent = {}",
        period, student, viewer.person_id).run()
    return Acknowledged(period, rows[0]["acknowledged_at"] if rows else at, False)


# --- the daily digest by e-mail (issue 10 item 5) ------------------------------------------------

EMAIL_FIELD = forms.Text("Адрес электронной почты", 200)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAIL_OFF = ("Школа не включила рассылку сводок по почте, поэтому включить сводку пока нельзя. "
            "Включает рассылку администратор ЭЖ. Ничего не изменено.")


@dataclass(frozen=True)
class DigestChoice:
    """What a parent chose: the address the digest goes to (``person.email``) and whether it goes."""

    address: str
    enabled: bool


def clean_address(raw: object) -> str:
    """The address as typed, or ``Refused`` naming the field in Russian."""
    try:
        address = forms.value(EMAIL_FIELD, raw, "address")
    except forms.FormErrors as exc:
        raise Refused(exc.message, field="address") from None
    if address and not _EMAIL.match(address):
        raise Refused("Адрес электронной почты: адрес вида name@example.ru", field="address")
    return address


async def _parent(viewer: Viewer) -> int:
    """The viewer's person if they are a parent of a pupil (``diary.own`` and a ``parent_link``);
    anyone else: ``NotFound`` — the page is a parent's own."""
    if viewer.person_id is None or not viewer.can("diary.own"):
        raise NotFound()
    if not await Lesson.raw("SELECT 1 FROM parent_link WHERE parent = {}", viewer.person_id).run():
        raise NotFound()
    return viewer.person_id


async def digest_choice(viewer: Viewer) -> DigestChoice:
    """The parent's current choice (off until they switch it on). Two queries."""
    person = await _parent(viewer)
    rows = await Lesson.raw(
        "SELECT p.email, s.enabled FROM person p LEFT JOIN digest_subscription s ON s.person = p.id "
        "WHERE p.id = {}", person).run()
    return DigestChoice(rows[0]["email"] or "", bool(rows[0]["enabled"]))


async def do_set_digest(viewer: Viewer, address: object, enabled: bool) -> DigestChoice:
    """The parent's own address for the digest and whether it goes; each change audited. Always
    the viewer's own: whatever a form names, no parent changes another's choice.

    ``Refused`` (nothing written): a malformed address; the digest switched on with no address;
    switched on while the school has not enabled mail (``[mail] enabled`` in ezh.toml).
    Switching off and changing the address stay possible whatever the school's setting."""
    person = await _parent(viewer)
    address = clean_address(address)
    if enabled and not address:
        raise Refused("Адрес электронной почты: укажите адрес, на который присылать сводку", field="address")
    at = access.now()
    async with atomic():
        rows = await Lesson.raw(
            "SELECT p.email, s.enabled FROM person p "
            "LEFT JOIN digest_subscription s ON s.person = p.id WHERE p.id = {}", person).run()
        was = DigestChoice(rows[0]["email"] or "", bool(rows[0]["enabled"]))
        if enabled and not was.enabled and not get_settings().mail.enabled:
            raise Refused(MAIL_OFF, field="enabled")
        if address != was.address:
            await Lesson.raw("UPDATE person SET email = {} WHERE id = {}", address, person).run()
            await record(viewer.actor, "diary.digest_address_changed", "person", person,
                         old={"email": was.address}, new={"email": address})
        if enabled != was.enabled:
            # one row per parent (unique): two first presses at once update the same row
            await Lesson.raw(
                "INSERT INTO digest_subscription (person, enabled, changed_at) VALUES ({}, {}, {}) "
                "ON CONFLICT (person) DO UPDATE SET enabled = excluded.enabled, changed_at = excluded.changed_at",
                person, enabled, at).run()
            await record(viewer.actor, "diary.digest_switched", "person", person,
                         old={"enabled": was.enabled}, new={"enabled": enabled})
    return DigestChoice(address, enabled)


async def do_record_digest_sent(actor: Actor, parent: int, day: date, address: str) -> bool:
    """Record that the digest of ``day`` went to ``parent`` at ``address`` (after the mail server
    took it). Once per parent and day (``ON CONFLICT DO NOTHING`` on the unique index): False if
    it was already recorded. Audited in the same transaction."""
    at = access.now()
    async with atomic():
        made = await Lesson.raw(
            "INSERT INTO digest_sent (person, day, sent_at, address) VALUES ({}, {}, {}, {}) "
            "ON CONFLICT (person, day) DO NOTHING RETURNING id", parent, day, at, address).run()
        if made:
            await record(actor, "diary.digest_sent", "person", parent,
                         new={"day": day.isoformat(), "address": address, "at": at.isoformat()})
    return bool(made)

"""The daily digest e-mail to parents (issue 10 item 5, R-DIARY-1): off by default, a parent
switches it on for their own address, `ezh digest` sends each subscribed parent exactly their
own children's day — grades, absences, the next school day's lessons with homework and changes —
through a real SMTP server (aiosmtpd on a free local port), once per day; a server that cannot
be reached leaves nobody marked as sent."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from service.accounts.actions import do_create_user
from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.diary import actions, digest
from service.diary.tables import DigestSent, DigestSubscription
from service.errors import NotFound, Refused
from service.journal.tables import Grade
from service.people.tables import ParentLink
from service.settings import Settings, load_settings, set_settings
from tests.diary.factories import diary_school
from tests.factories import PASSWORD, SYSTEM
from tests.routes import client, post_form, sign_in
from tests.test_query_counts import counting

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
MONDAY = date(2026, 11, 23)
WEDNESDAY = date(2026, 11, 25)


class Mailbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def to(self, address: str) -> list[str]:
        """The plain-text bodies of the messages sent to ``address``."""
        return [m.get_body(("plain",)).get_content() for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def mail_settings(port: int | None, enabled: bool = True, **extra: str) -> Settings:
    env = {**os.environ, "EZH_MAIL_ENABLED": "true" if enabled else "false", "EZH_MAIL_HOST": "127.0.0.1",
           "EZH_MAIL_PORT": str(port or free_port()), "EZH_MAIL_SECURITY": "none",
           "EZH_MAIL_SENDER": "Школа № 1 <journal@school.test>", **extra}
    settings = load_settings(env)
    set_settings(settings)
    return settings


@pytest.fixture(autouse=True)
def settings_back():
    yield
    set_settings(None)


def parent(d, key: str = "roditel") -> Viewer:
    return Viewer(d.j.users[key], key, d.people[key], key, ("parent",), frozenset({"diary.own", "diary.acknowledge"}))


async def subscribe(d, key: str, address: str) -> None:
    await actions.do_set_digest(parent(d, key), address, True)


async def school_with_two_subscribers():
    """roditel (pupil1's mother) and parent2 (pupil2's father) with accounts, both subscribed;
    parent3 (pupil3's mother) has no account and no subscription."""
    d = await diary_school()
    d.j.users["parent2"] = await do_create_user(SYSTEM, "parent2", PASSWORD, ["parent"], d.people["parent2"])
    mail_settings(None)
    await subscribe(d, "roditel", "mama@example.ru")
    await subscribe(d, "parent2", "papa@example.ru")
    return d


async def _sent() -> int:
    return await DigestSent.count().run()


async def test_mail_is_off_by_default_and_nothing_leaves_the_school(db, smtp):
    """Without [mail] nothing is sent, read or marked; a parent cannot switch the digest on
    (the action refuses in Russian), though the address can be saved."""
    box, port = smtp
    assert load_settings({**os.environ}).mail.enabled is False
    d = await diary_school()
    settings = mail_settings(port, enabled=False)
    with pytest.raises(Refused) as refused:
        await actions.do_set_digest(parent(d), "mama@example.ru", True)
    assert "Школа не включила рассылку" in refused.value.message
    assert await DigestSubscription.count().run() == 0
    choice = await actions.do_set_digest(parent(d), "mama@example.ru", False)
    assert choice.address == "mama@example.ru" and not choice.enabled
    outcome = await digest.run(settings, MONDAY)
    assert outcome.ok and outcome.sent == [] and "выключена" in outcome.lines[0]
    assert box.messages == [] and await _sent() == 0


async def test_each_parent_gets_exactly_their_own_children(db, smtp):
    """R-DIARY-1: the mother of pupil1 gets pupil1's grade with subject, kind of work and
    weight; the father of pupil2 gets pupil2's grade and Wednesday's maths with the homework
    due (given on Monday, for everyone and for his daughter alone) — and neither a word of the
    other family. Recorded once per parent and audited; a second run sends nothing."""
    box, port = smtp
    d = await school_with_two_subscribers()
    settings = mail_settings(port, EZH_PUBLIC_URL="https://ezh.school.test")
    outcome = await digest.run(settings, MONDAY)
    assert outcome.ok and sorted(outcome.sent) == ["mama@example.ru", "papa@example.ru"]
    assert len(box.messages) == 2
    [mama] = box.to("mama@example.ru")
    [papa] = box.to("papa@example.ru")
    assert "Здравствуйте, Елена Викторовна!" in mama and "за понедельник, 23 ноября 2026 г." in mama
    assert "Морозов Артём, 5А" in mama and "Математика: 5 (" in mama and "вес" in mama
    assert f"https://ezh.school.test/diary/{d.people['pupil1']}" in mama
    assert "Павлова" not in mama and "Софь" not in mama and "Математика: 2" not in mama
    assert "Павлова Софья, 5А" in papa and "Математика: 2 (" in papa
    assert "Уроки на среду, 25 ноября 2026 г.:" in papa and "Домашнее задание: № 245, 247" in papa
    assert "Задание лично: Задание только для Софьи" in papa
    assert "Морозов" not in papa and "таблицу умножения" not in papa and "Математика: 5" not in papa
    _, message = box.messages[0]
    assert message["From"] == "Школа № 1 <journal@school.test>"
    assert "сводка за 23.11.2026" in message["Subject"]
    assert message.get_body(("html",)) is not None
    assert await _sent() == 2
    rows = await AuditEvent.select().where(AuditEvent.action == "diary.digest_sent").run()
    assert len(rows) == 2 and (await verify_chain()).ok

    again = await digest.run(settings, MONDAY)
    assert again.ok and again.sent == [] and "отправлять некому" in again.lines[0]
    assert len(box.messages) == 2 and await _sent() == 2
    # the recorded row is the unique one: recording it again adds nothing
    assert not await actions.do_record_digest_sent(SYSTEM, d.people["roditel"], MONDAY, "mama@example.ru")


async def test_absences_with_reason_and_changes_of_the_next_day(db, smtp):
    """Wednesday: pupil1's absence with its reason goes to the mother; pupil2 had nothing on
    Wednesday, but Friday's maths has a substitute: the father reads the change."""
    box, port = smtp
    await school_with_two_subscribers()
    settings = mail_settings(port)
    outcome = await digest.run(settings, WEDNESDAY)
    assert outcome.ok
    [mama] = box.to("mama@example.ru")
    assert "Пропуски:" in mama and "Математика, 2-й урок: н — отсутствовал (причина не указана)" in mama
    [papa] = box.to("papa@example.ru")
    assert "Уроки на пятницу, 27 ноября 2026 г.:" in papa and "изменение: замена: Кузнецов О. И." in papa
    assert "Пропуски" not in papa


async def test_unsubscribed_no_address_or_nothing_new_gets_nothing(db, smtp):
    """Switched off, an address removed from the record, a day with nothing new: no letter."""
    box, port = smtp
    d = await school_with_two_subscribers()
    settings = mail_settings(port)
    await actions.do_set_digest(parent(d, "parent2"), "papa@example.ru", False)
    await ParentLink.raw("UPDATE person SET email = '' WHERE id = {}", d.people["roditel"]).run()
    outcome = await digest.run(settings, MONDAY)
    assert outcome.sent == [] and box.messages == [] and await _sent() == 0
    await ParentLink.raw("UPDATE person SET email = 'mama@example.ru' WHERE id = {}", d.people["roditel"]).run()
    quiet = date(2026, 11, 11)  # lessons, but no grade, no absence, no homework due, no change
    outcome = await digest.run(settings, quiet)
    assert outcome.sent == [] and box.messages == []


async def test_server_down_marks_nobody_and_the_next_run_sends(db, smtp):
    """The mail server cannot be reached: a Russian message, not ok, nobody marked as sent;
    once it answers, the next run sends both letters."""
    box, port = smtp
    await school_with_two_subscribers()
    down = mail_settings(free_port())
    outcome = await digest.run(down, MONDAY)
    assert not outcome.ok and "не удалось связаться с почтовым сервером" in outcome.error
    assert sorted(outcome.failed) == ["mama@example.ru", "papa@example.ru"] and await _sent() == 0
    outcome = await digest.run(mail_settings(port), MONDAY)
    assert outcome.ok and len(box.messages) == 2 and await _sent() == 2


async def test_a_server_that_breaks_off_keeps_the_sent_marked(db, smtp):
    """The server takes the first letter and then the connection is lost: the first parent stays
    marked, the second is not (the next run sends only the second)."""
    box, port = smtp
    await school_with_two_subscribers()
    settings = mail_settings(port)

    class Breaks(digest.Mailer):
        sent = 0

        async def send(self, msg):
            if self.sent:
                raise digest.MailError("почтовый сервер прервал отправку")
            self.sent += 1
            await super().send(msg)

    outcome = await digest.run(settings, MONDAY, mailer_for=Breaks)
    assert not outcome.ok and len(outcome.sent) == 1 and len(outcome.failed) == 1
    assert await _sent() == 1 and len(box.messages) == 1
    outcome2 = await digest.run(settings, MONDAY)
    assert outcome2.ok and outcome2.sent == outcome.failed
    assert len(box.messages) == 2 and await _sent() == 2


async def test_dry_run_sends_and_marks_nothing(db, smtp):
    box, port = smtp
    await school_with_two_subscribers()
    outcome = await digest.run(mail_settings(port), MONDAY, dry_run=True)
    text = "\n".join(outcome.lines)
    assert "→ mama@example.ru" in text and "→ papa@example.ru" in text and "ничего не отправлено" in text
    assert box.messages == [] and await _sent() == 0


async def test_the_digest_costs_the_same_queries_for_one_parent_or_two(db, smtp, monkeypatch):
    box, port = smtp
    d = await diary_school()
    d.j.users["parent2"] = await do_create_user(SYSTEM, "parent2", PASSWORD, ["parent"], d.people["parent2"])
    mail_settings(port)
    await subscribe(d, "roditel", "mama@example.ru")
    with counting(monkeypatch) as seen:
        assert len(await digest.collect(MONDAY, load_settings({**os.environ}).tz)) == 1
    one = len(seen)
    await subscribe(d, "parent2", "papa@example.ru")
    with counting(monkeypatch) as seen:
        assert len(await digest.collect(MONDAY, load_settings({**os.environ}).tz)) == 2
    assert one == len(seen) == 5, seen


def _ezh(env: dict, *args: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
    full.update({"EZH_CONFIG": os.devnull, "EZH_LOG_JSON": "false", **env})
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=120)


async def test_ezh_digest_command(db, smtp, tmp_path):
    """`ezh digest`: mail off — says so, exit 0; server down — Russian message, exit 1, nobody
    marked; --dry-run sends nothing; then a real run sends both, and a second one nothing."""
    box, port = smtp
    await school_with_two_subscribers()
    env = {"EZH_DATABASE_URL": db.url, "EZH_VAR_DIR": str(tmp_path), "EZH_MAIL_HOST": "127.0.0.1",
           "EZH_MAIL_SECURITY": "none"}
    off = _ezh(env, "digest", "--date", "2026-11-23")
    assert off.returncode == 0 and "выключена" in off.stdout
    on = {**env, "EZH_MAIL_ENABLED": "true"}
    down = _ezh({**on, "EZH_MAIL_PORT": str(free_port())}, "digest", "--date", "2026-11-23")
    assert down.returncode == 1 and "не удалось связаться с почтовым сервером" in down.stderr
    assert await _sent() == 0
    dry = _ezh({**on, "EZH_MAIL_PORT": str(port)}, "digest", "--date", "2026-11-23", "--dry-run")
    assert dry.returncode == 0 and "→ mama@example.ru" in dry.stdout and box.messages == []
    sent = _ezh({**on, "EZH_MAIL_PORT": str(port)}, "digest", "--date", "2026-11-23")
    assert sent.returncode == 0, sent.stderr
    assert "отправлено писем 2" in sent.stdout and len(box.messages) == 2 and await _sent() == 2
    again = _ezh({**on, "EZH_MAIL_PORT": str(port)}, "digest", "--date", "2026-11-23")
    assert again.returncode == 0 and len(box.messages) == 2


# --- the parent's page ----------------------------------------------------------------------------


async def test_the_page_says_when_the_school_has_not_enabled_mail(db):
    d = await diary_school()
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        week = (await c.get(f"/diary/{d.people['pupil1']}")).text
        assert 'href="/diary/digest"' in week
        page = await c.get("/diary/digest")
        assert page.status_code == 200 and "Школа не включила рассылку" in page.text
        r = await post_form(c, "/diary/digest", {"address": "mama@example.ru", "enabled": "1"})
        assert r.status_code == 400 and "Школа не включила рассылку" in r.text
    assert await DigestSubscription.count().run() == 0


async def test_a_parent_switches_the_digest_on_and_a_bad_address_is_refused(db):
    """A malformed address is refused naming the field, nothing written; a good one with the
    switch: saved, audited (address and switch), shown on the page."""
    d = await diary_school()
    mail_settings(None)
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        r = await post_form(c, "/diary/digest", {"address": "мама на почте", "enabled": "1"})
        assert r.status_code == 400 and "Адрес электронной почты: адрес вида name@example.ru" in r.text
        r = await post_form(c, "/diary/digest", {"address": "", "enabled": "1"})
        assert r.status_code == 400 and "Адрес электронной почты: укажите адрес" in r.text
        assert await DigestSubscription.count().run() == 0
        r = await post_form(c, "/diary/digest", {"address": "mama@example.ru", "enabled": "1"})
        assert r.status_code == 303 and r.headers["location"] == "/diary/digest?saved=1"
        page = (await c.get("/diary/digest?saved=1")).text
        assert "сводка включена" in page and "mama@example.ru" in page
    row = await DigestSubscription.select().first().run()
    assert row["person"] == d.people["roditel"] and row["enabled"]
    actions_done = {r["action"] for r in await AuditEvent.select(AuditEvent.action).run()}
    assert {"diary.digest_switched", "diary.digest_address_changed"} <= actions_done


async def test_only_a_parent_s_own_choice_and_staff_have_no_page(db):
    """A direct POST naming another parent changes only the poster's own choice; a pupil has no
    such page (404), staff have no right to it (403)."""
    d = await diary_school()
    await do_create_user(SYSTEM, "parent2", PASSWORD, ["parent"], d.people["parent2"])
    mail_settings(None)
    await subscribe(d, "roditel", "mama@example.ru")
    async with client() as c:
        await sign_in(c, "parent2", PASSWORD)
        r = await post_form(c, "/diary/digest", {"address": "chuzhoy@example.ru", "enabled": "",
                                                 "person": str(d.people["roditel"])})
        assert r.status_code == 303
    mine = await DigestSubscription.select().where(DigestSubscription.person == d.people["roditel"]).first().run()
    assert mine["enabled"]
    choice = await actions.digest_choice(parent(d))
    assert choice.address == "mama@example.ru" and choice.enabled
    with pytest.raises(NotFound):
        await actions.do_set_digest(Viewer(1, "pupil1", d.people["pupil1"], "pupil1", ("student",),
                                           frozenset({"diary.own"})), "x@example.ru", False)
    async with client() as c:
        await sign_in(c, "pupil1", PASSWORD)
        assert (await c.get("/diary/digest")).status_code == 404
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        assert (await c.get("/diary/digest")).status_code == 403
        r = await post_form(c, "/diary/digest", {"address": "x@example.ru", "enabled": "1"}, page="/home")
        assert r.status_code == 403


async def test_a_grade_entered_on_the_day_for_an_earlier_lesson_is_news(db, smtp):
    """A grade given on Thursday for the lesson of 18 November goes into Thursday's digest,
    marked with its lesson's date; it is not repeated on a day it was not entered."""
    box, port = smtp
    d = await school_with_two_subscribers()
    entered = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
    await Grade.update({Grade.created_at: entered}).where(
        (Grade.student == d.people["pupil1"]) & (Grade.lesson == d.j.lessons[date(2026, 11, 18)])).run()
    settings = mail_settings(port)
    assert (await digest.run(settings, date(2026, 11, 26))).ok
    [mama] = box.to("mama@example.ru")
    assert "Математика: 4 (" in mama and "за урок 18.11" in mama

"""Races (R-SEC-1, R-SEC-3): every one-time or limited action tried by concurrent requests on
PostgreSQL — the index (``tests/authz/races.py``) names the test of each, here or in its
domain's tests, and says why the other audited actions need none.

The requests here are real HTTP requests through the app, each from its own client (its own
app, event loop and thread, a connection per query: as two browser tabs against two workers),
released together by a barrier. One school (the demo generator's, ``tests/authz/school.py``)
serves the module; each test acts on objects of its own. What each must show: the action done
once (one audit row, one state), the other requests refused in Russian or answered as done
already — never a 5xx, never twice."""

from __future__ import annotations

import ast
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import anyio
import pytest
from litestar.testing import TestClient

from service import db as dbmod
from service import domains
from service.app import create_app
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.web import csrf_cookie_name, session_cookie_name
from tests.authz import races
from tests.authz.school import School, one, rows
from tests.conftest import fresh_database
from tests.routes import csrf_from

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


# --- the index ---------------------------------------------------------------------------------


def _test_functions(path: Path) -> dict[str, ast.AsyncFunctionDef | ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_audited_action_is_in_the_index():
    declared = set(domains.action_names())
    raced, free = set(races.RACED), set(races.NOT_RACED)
    assert not raced & free, f"both raced and not: {sorted(raced & free)}"
    assert not declared - raced - free, ("audited actions missing from tests/authz/races.py: "
                                         + ", ".join(sorted(declared - raced - free)))
    assert not (raced | free) - declared, f"no such audit action: {sorted((raced | free) - declared)}"


def test_every_race_named_is_a_postgresql_test_that_exists():
    """A race test names PostgreSQL: SQLite's one writer at a time would prove nothing."""
    problems = []
    for action, tests in [*races.RACED.items(), ("(the chain)", races.CHAIN)]:
        for node in tests:
            file, _, name = node.partition("::")
            path = ROOT / file
            found = _test_functions(path).get(name) if path.is_file() else None
            if found is None:
                problems.append(f"{action}: {node} does not exist")
                continue
            params = {a.arg for a in found.args.args}
            if not params & {"pg_db", "pg_school"}:
                problems.append(f"{action}: {node} does not run on PostgreSQL (no pg_db)")
    assert not problems, "\n".join(problems)


# --- the school and the concurrent requests ----------------------------------------------------


class PgSchool:
    def __init__(self, school: School, tokens: dict[str, str]):
        self.s, self.tokens = school, tokens
        self.apps: list = []

    def at_once(self, *requests: tuple[str, str, dict]) -> list:
        """POST each (login, path, form) from its own client, all released at once."""
        barrier = threading.Barrier(len(requests))
        with ExitStack() as stack:
            # an app of its own for each client, as each worker process has: route handlers and
            # their argument models are built per app, and one app's models converted from several
            # threads at once crashed the interpreter now and then (a segfault in msgspec.convert)
            while len(self.apps) < len(requests):
                self.apps.append(create_app(database_pool=False))
            clients = [stack.enter_context(TestClient(app=app, base_url="http://ezh.test"))
                       for app in self.apps[:len(requests)]]
            prepared = []
            for c, (login, path, form) in zip(clients, requests, strict=True):
                c.follow_redirects = False
                page = c.get("/login")
                token = csrf_from(page.text)
                cookie = (f"{csrf_cookie_name()}={c.cookies[csrf_cookie_name()]}; "
                          f"{session_cookie_name()}={self.tokens[login]}")
                c.cookies.clear()
                prepared.append((c, path, {**form, "_csrf_token": token},
                                 {"cookie": cookie, "x-csrftoken": token}))

            def go(i: int):
                c, path, data, headers = prepared[i]
                barrier.wait(timeout=30)
                return c.post(path, data=data, headers=headers)

            with ThreadPoolExecutor(len(requests)) as pool:
                answers = list(pool.map(go, range(len(requests))))
        assert all(a.status_code < 500 for a in answers), [(a.status_code, a.text[:300]) for a in answers]
        return answers

    async def run(self, *requests: tuple[str, str, dict]) -> list[int]:
        answers = await anyio.to_thread.run_sync(lambda: self.at_once(*requests))
        return sorted(a.status_code for a in answers)


@pytest.fixture(scope="module")
async def pg_school(request, tmp_path_factory):
    database = fresh_database("postgres", request)
    dbmod.use_database(database.url)
    archive = tmp_path_factory.mktemp("races-archive")
    with pytest.MonkeyPatch.context() as mp:
        from tests.authz.test_matrix import prepared_school

        school, tokens = await prepared_school(mp, archive)
        yield PgSchool(school, tokens)
    assert (await verify_chain()).ok


async def audited(action: str, object_id=None) -> int:
    query = AuditEvent.count().where(AuditEvent.action == action)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == str(object_id))
    return await query.run()


# --- the races ---------------------------------------------------------------------------------


async def test_an_api_key_revoked_at_once_is_revoked_once(pg_school):
    user, token = pg_school.s.objects["token"][0]
    path = f"/admin/users/{user}/tokens/{token}/revoke"
    answers = await pg_school.run(*[("admin", path, {})] * 3)
    assert answers == [303, 303, 303]  # revoked (or already): back to the account's page
    assert await audited("accounts.api_token_revoked") == 1
    assert (await rows("SELECT revoked_at FROM api_token WHERE id = {}", token))[0]["revoked_at"]


async def test_a_calendar_address_revoked_at_once_is_revoked_once(pg_school):
    feed = pg_school.s.objects["feed"][0]  # the teacher's own week
    answers = await pg_school.run(*[("uchitel", f"/timetable/feeds/{feed}/revoke", {})] * 3)
    assert answers == [303, 400, 400]  # «Эта ссылка уже отозвана»
    assert await audited("timetable.feed_revoked", feed) == 1


async def test_maintenance_cancelled_at_once_is_cancelled_once(pg_school):
    job = pg_school.s.objects["maintenance"][0]
    form = {"reason": "Перенесено на летние каникулы"}
    answers = await pg_school.run(*[("admin", f"/ops/planned/{job}/cancel", form)] * 3)
    assert answers == [303, 400, 400]  # «Эти работы уже отменены»
    assert await audited("ops.maintenance_cancelled", job) == 1


async def test_a_consent_withdrawn_at_once_is_withdrawn_once(pg_school):
    consent = pg_school.s.objects["consent"][1]  # the stranger's: the class teacher's is another
    form = {"withdrawn_on": pg_school.s.today.isoformat()}
    answers = await pg_school.run(("zavuch", f"/consents/{consent}/withdraw", form),
                                  ("sekretar", f"/consents/{consent}/withdraw", form),
                                  ("zavuch", f"/consents/{consent}/withdraw", form))
    assert answers == [303, 400, 400]  # «Согласие уже отозвано …»
    person = await one("SELECT person FROM pd_consent WHERE id = {}", consent)
    events = await AuditEvent.select(AuditEvent.new).where(
        (AuditEvent.action == "people.consent_withdrawn") & (AuditEvent.object_id == str(person))).run()
    assert len(events) == 1


async def test_a_leaving_date_written_at_once_is_written_once(pg_school):
    person = pg_school.s.objects["staff_person"][1]  # the other class's teacher
    form = {"ends_on": pg_school.s.today.isoformat()}
    answers = await pg_school.run(("zavuch", f"/staff/{person}/leave", form),
                                  ("sekretar", f"/staff/{person}/leave", form),
                                  ("zavuch", f"/staff/{person}/leave", form))
    assert answers == [303, 400, 400]  # «Дата увольнения уже записана»
    assert await audited("people.staff_left", person) == 1


async def test_an_order_cancelled_at_once_is_cancelled_once(pg_school):
    """Two office workers cancel the same withdrawal order, each with an order number of their
    own: one cancellation, the other refused naming it."""
    order = await one("SELECT id FROM school_order WHERE kind = 'withdraw' ORDER BY id")
    day = pg_school.s.today.isoformat()
    answers = await pg_school.run(
        ("zavuch", f"/orders/{order}/cancel", {"number": "301-у", "dated": day, "title": "Об отмене"}),
        ("sekretar", f"/orders/{order}/cancel", {"number": "302-у", "dated": day, "title": "Об отмене"}),
        ("zavuch", f"/orders/{order}/cancel", {"number": "303-у", "dated": day, "title": "Об отмене"}))
    assert answers == [303, 400, 400]
    assert await one("SELECT COUNT(*) AS n FROM school_order WHERE cancels = {}", order) == 1
    assert await audited("orders.order_cancelled") == 1


async def test_a_period_closed_and_reopened_at_once_is_closed_and_reopened_once(pg_school):
    """The deputy head's button pressed in two tabs: closing the current quarter (all the same,
    with a reason), then opening it again."""
    period = pg_school.s.objects["period"][0]
    close = {"force": "1", "reason": "Закрываем по графику"}
    answers = await pg_school.run(*[("zavuch", f"/journal/periods/{period}/close", close)] * 3)
    assert answers == [303, 400, 400]  # «Период … уже закрыт»
    assert await one("SELECT COUNT(*) AS n FROM period_closing WHERE period = {}", period) == 1
    assert await audited("journal.period_closed", period) == 1
    reopen = {"reason": "Исправление итоговой отметки по заявлению"}
    answers = await pg_school.run(*[("zavuch", f"/journal/periods/{period}/reopen", reopen)] * 3)
    assert answers == [303, 400, 400]
    assert await one("SELECT COUNT(*) AS n FROM period_closing WHERE period = {} AND reopened_at IS NULL",
                     period) == 0
    assert await audited("journal.period_reopened", period) == 1


async def test_a_correction_approved_and_rejected_at_once_is_decided_once(pg_school):
    correction = pg_school.s.objects["correction"][0]
    path = f"/journal/corrections/{correction}"
    answers = await pg_school.run(("zavuch", path, {"decision": "approve"}),
                                  ("zavuch", path, {"decision": "reject", "note": "нет оснований"}),
                                  ("zavuch", path, {"decision": "approve"}))
    assert answers == [303, 400, 400]  # «Исправление № … уже рассмотрено»
    status = await one("SELECT status FROM correction WHERE id = {}", correction)
    decided = await audited("journal.correction_approved") + await audited("journal.correction_rejected")
    assert decided == 1
    assert await audited(f"journal.correction_{status}") == 1


async def test_one_final_saved_from_two_tabs_at_once_is_saved_once(pg_school):
    """The same final, both tabs opened at the same version: one is saved, the other is told
    the final was changed meanwhile — never both, never a 500."""
    s = pg_school.s
    journal = s.objects["journal"][0]
    lesson, pupil = s.objects["cell"][0]
    period = s.objects["period"][0]
    subject = int(journal.split("-s")[1])
    before = await rows("SELECT version FROM final_grade WHERE student = {} AND subject = {} AND period = {}",
                        pupil, subject, period)
    seen = before[0]["version"] if before else 0
    form = {"student": pupil, "kind": "period", "period": period, "version": seen}
    answers = await pg_school.run(("uchitel", f"/journal/{journal}/finals", {**form, "mark": "5"}),
                                  ("uchitel", f"/journal/{journal}/finals", {**form, "mark": "4"}))
    assert answers[0] == 303 and answers[1] in (400, 409), answers
    assert await audited("journal.final_saved") == 1
    finals = await rows("SELECT mark FROM final_grade WHERE student = {} AND subject = {} AND period = {}",
                        pupil, subject, period)
    assert len(finals) == 1


async def test_a_note_removed_at_once_is_removed_once(pg_school):
    note = pg_school.s.objects["note"][0]
    answers = await pg_school.run(*[("klruk", f"/journal/notes/{note}/remove", {})] * 3)
    assert answers == [303, 404, 404]  # the second finds no note (removed) to take back
    assert await audited("journal.note_removed", note) == 1


async def test_a_homework_file_removed_at_once_is_removed_once(pg_school):
    file = pg_school.s.objects["file"][0]
    answers = await pg_school.run(*[("uchitel", f"/journal/file/{file}/remove", {})] * 3)
    assert answers == [303, 404, 404]
    assert await audited("journal.file_removed", file) == 1


async def test_a_teacher_s_absence_removed_at_once_is_removed_once(pg_school):
    absence = pg_school.s.objects["absence"][0]
    answers = await pg_school.run(*[("zavuch", f"/timetable/changes/absences/{absence}/remove", {})] * 3)
    assert answers == [303, 404, 404]
    assert await audited("timetable.absence_ended", absence) == 1


async def test_a_sealed_year_reopened_at_once_is_reopened_once(pg_school):
    sealed = pg_school.s.objects["sealed"][0]
    form = {"reason": "Исправление годовой отметки по протоколу педсовета № 10"}
    answers = await pg_school.run(*[("zavuch", f"/archive/years/{sealed}/reopen", form)] * 3)
    assert answers == [303, 400, 400]  # «… уже открыт для исправления»
    assert await audited("records.year_reopened") == 1


async def test_two_administrators_blocking_each_other_leave_one(pg_school):
    """The last administrator is never blocked: two of them blocking each other at the same
    moment — one is blocked, the other is refused."""
    from service.accounts.actions import do_create_user, do_login
    from service.demo import DEMO_PASSWORD
    from tests.authz.school import SYSTEM

    second = await do_create_user(SYSTEM, "admin2", DEMO_PASSWORD, ["admin"], None)
    pg_school.tokens["admin2"] = await do_login("admin2", DEMO_PASSWORD, "127.0.0.1")
    first = pg_school.s.account["admin"]
    form = {"active": "0", "reason": "Ушёл из школы"}
    answers = await pg_school.run(("admin", f"/admin/users/{second}/active", form),
                                  ("admin2", f"/admin/users/{first}/active", form))
    # the second is refused («… последнего администратора …», 400) — or, when the first blocked
    # its account before its request was read, sent to the sign-in page (303): either way
    # exactly one administrator stays and one block is audited
    assert answers[0] == 303 and answers[1] in (303, 400), answers
    active = await one("SELECT COUNT(*) AS n FROM account a JOIN account_role r ON r.account = a.id "
                       "JOIN role o ON o.id = r.role WHERE o.code = 'admin' AND a.is_active = {}", True)
    assert active == 1
    assert await audited("accounts.user_blocked") == 1


async def test_two_years_made_current_at_once_leave_one_current(pg_school):
    """Last: it changes the school's current year. Making last year and this year current at
    the same moment leaves exactly one current year, whichever came second."""
    this, last = pg_school.s.objects["year"]
    answers = await pg_school.run(("zavuch", f"/school/years/{last}/current", {}),
                                  ("zavuch", f"/school/years/{this}/current", {}),
                                  ("zavuch", f"/school/years/{last}/current", {}))
    assert all(a in (200, 303, 400) for a in answers), answers
    assert await one("SELECT COUNT(*) AS n FROM academic_year WHERE is_current = {}", True) == 1


async def test_the_races_left_the_chain_whole(pg_school):
    """Last of all: every race above wrote its audit rows into one unforked chain."""
    assert (await verify_chain()).ok

"""The read-only JSON API for integrations (issue 11 item 10, R-X-2): an administrator issues a
key to an integration's account (shown once, only its hash kept, audited); with it, GET
/api/v1/reports/… answers JSON within that account's rights; without it, with a revoked or
expired key, for a write or outside /api/ — nothing. Described in the OpenAPI schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.accounts.actions import do_create_user, do_issue_api_token, do_revoke_api_token
from service.audit.tables import AuditEvent
from service.demo import DEMO_PASSWORD
from service.timetable.tables import Lesson
from tests.factories import PASSWORD, SYSTEM, demo_school
from tests.routes import client, csrf_from, sign_in

pytestmark = pytest.mark.anyio


async def test_a_key_reads_reports_as_its_account_and_nothing_more(db):
    await demo_school("S", 2026)
    library = await do_create_user(SYSTEM, "integration", PASSWORD, ["deputy"], None)
    key = await do_issue_api_token(SYSTEM, library, "Библиотека школы", 30)
    assert key.startswith("ezh_")
    stored = await Lesson.raw("SELECT token_hash FROM api_token").run()
    assert stored and key not in str(stored)  # only the hash
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.new).where(
        AuditEvent.action == "accounts.api_token_issued").run()
    assert events and key not in events[0]["new"]
    headers = {"Authorization": f"Bearer {key}"}
    async with client() as c:
        r = await c.get("/api/v1/reports/performance?period=year", headers=headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        data = r.json()
        assert data["report"] == "performance" and data["sections"][0]["title"] == "Итоги по классам"
        assert (await c.get("/api/v1/reports/summary-sheet", headers=headers)).json()["report"] == "summary-sheet"
        # not a browser session: no pages, no writes
        assert (await c.get("/reports/performance", headers=headers)).status_code == 303  # to the login page
        assert (await c.get("/home", headers=headers)).status_code in (302, 303, 401)
        assert (await c.post("/api/v1/reports/performance", headers=headers)).status_code in (401, 403, 405)
        r = await c.get("/api/v1/reports/performance")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        bad = {"Authorization": "Bearer ezh_not-a-key"}
        assert (await c.get("/api/v1/reports/performance", headers=bad)).status_code in (401, 403)
    await do_revoke_api_token(SYSTEM, library, (await Lesson.raw("SELECT id FROM api_token").run())[0]["id"])
    async with client() as c:
        assert (await c.get("/api/v1/reports/performance", headers=headers)).status_code in (401, 403)


async def test_a_key_has_only_its_accounts_rights_and_expires(db):
    await demo_school("S", 2026)
    parent = (await Lesson.raw("SELECT id FROM account WHERE login = 'roditel'").run())[0]["id"]
    key = await do_issue_api_token(SYSTEM, parent, "Ключ родителя", 1)
    async with client() as c:
        r = await c.get("/api/v1/reports/performance", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 403  # a parent has no reports, with or without a key
    deputy = (await Lesson.raw("SELECT id FROM account WHERE login = 'zavuch'").run())[0]["id"]
    key = await do_issue_api_token(SYSTEM, deputy, "Ключ, который истечёт", 1)
    async with client() as c:
        assert (await c.get("/api/v1/reports/performance", headers={"Authorization": f"Bearer {key}"})).status_code == 200
    await Lesson.raw("UPDATE api_token SET expires_at = {}", datetime(2026, 1, 1, tzinfo=UTC)).run()
    async with client() as c:
        assert (await c.get("/api/v1/reports/performance", headers={"Authorization": f"Bearer {key}"})).status_code \
            in (401, 403)


async def test_the_administrator_issues_and_revokes_on_the_accounts_page(db):
    await demo_school("S", 2026)
    uid = (await Lesson.raw("SELECT id FROM account WHERE login = 'nablyudatel'").run())[0]["id"]
    async with client() as c:
        await sign_in(c, "admin", DEMO_PASSWORD)
        page = (await c.get(f"/admin/users/{uid}")).text
        r = await c.post(f"/admin/users/{uid}/tokens", data={"name": "", "days": "30", "_csrf_token": csrf_from(page)})
        assert r.status_code == 400 and "Название ключа" in r.text
        r = await c.post(f"/admin/users/{uid}/tokens", data={"name": "Управление образования", "days": "400",
                                                            "_csrf_token": csrf_from(page)})
        assert r.status_code == 400 and "Срок действия" in r.text
        r = await c.post(f"/admin/users/{uid}/tokens", data={"name": "Управление образования", "days": "30",
                                                            "_csrf_token": csrf_from(page)})
        assert r.status_code == 200 and "Скопируйте его сейчас" in r.text
        key = r.text.split('class="api-key">')[1].split("<")[0]
        assert key.startswith("ezh_")
        again = (await c.get(f"/admin/users/{uid}")).text
        assert key not in again and "Управление образования" in again  # shown once
        token = (await Lesson.raw("SELECT id FROM api_token").run())[0]["id"]
        r = await c.post(f"/admin/users/{uid}/tokens/{token}/revoke", data={"_csrf_token": csrf_from(again)})
        assert r.status_code == 303
        assert "отозван" in (await c.get(f"/admin/users/{uid}")).text
        other = (await Lesson.raw("SELECT id FROM account WHERE login = 'roditel'").run())[0]["id"]
        r = await c.post(f"/admin/users/{other}/tokens/{token}/revoke", data={"_csrf_token": csrf_from(again)})
        assert r.status_code == 404  # another account's key id
    async with client() as c:
        await sign_in(c, "zavuch", DEMO_PASSWORD)
        assert (await c.get(f"/admin/users/{uid}")).status_code == 403


async def test_the_schema_describes_the_report_api(db):
    async with client() as c:
        schema = (await c.get("/schema/openapi.json")).json()
    assert "/api/v1/reports/performance" in schema["paths"]
    assert "/api/v1/reports/summary-sheet" in schema["paths"]

"""The journal's JSON API and its OpenAPI schema (issue 9 item 11, R-GRADE-1, R-ATT-1, R-SEC-3):
the schema and its page are public, describe only the API and load nothing from the internet;
the API saves cells and a lesson's attendance by the same rules as the grid, answering refusals
in Russian JSON with nothing written."""

from __future__ import annotations

import re
from datetime import date

import pytest

from service.audit.tables import AuditEvent
from service.journal.tables import Attendance, Grade
from tests.factories import PASSWORD
from tests.journal.factories import journal_school
from tests.journal.test_cells_routes import MONDAY, OLD, token
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio


async def test_the_schema_is_public_and_describes_only_the_api(db):
    """Item 11: /schema/openapi.json for anyone, signed in or not; request and answer bodies of
    both operations; no HTML page of the journal in it."""
    async with client() as c:
        r = await c.get("/schema/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["info"]["title"] == "Электронный журнал: программный интерфейс"
    journal = [p for p in schema["paths"] if not p.startswith("/api/v1/reports/")]
    assert sorted(journal) == ["/journal/api/attendance", "/journal/api/cells"]
    # the reports' API (issue 11) is there too, and no page: nothing outside /journal/api/ and /api/
    assert "/api/v1/reports/performance" in schema["paths"]
    assert all(p.startswith(("/journal/api/", "/api/")) for p in schema["paths"])
    op = schema["paths"]["/journal/api/cells"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CellSave")
    assert {"200", "400", "404", "409", "422"} <= set(op["responses"])
    parts = schema["components"]["schemas"]
    assert parts["CellSave"]["properties"]["value"]["maxLength"] == 40
    assert set(parts["CellAnswer"]["properties"]["state"]["enum"]) == {"saved", "same", "pending"}
    assert "ill" in parts["AttendanceSave"]["properties"]["marks"]["additionalProperties"]["enum"]


async def test_the_documentation_page_uses_no_external_address(db):
    """Item 11: the page lists the operations in Russian and loads only the journal's own files."""
    async with client() as c:
        r = await c.get("/schema")
    assert r.status_code == 200
    assert "POST /journal/api/cells" in r.text and "Записать клетку журнала" in r.text
    assert "http://" not in r.text and "https://" not in r.text and "//cdn" not in r.text
    for address in re.findall(r'(?:src|href)="([^"]+)"', r.text):
        assert address.startswith(("/", "#", "data:")) and not address.startswith("//"), address


async def api(c, path: str, body, csrf: bool = True):
    headers = {"x-csrftoken": await token(c)} if csrf else {}
    return await c.post(path, json=body, headers=headers)


async def test_the_api_saves_a_cell_by_the_grids_rules(db):
    """R-GRADE-1, R-SEC-3: a save, the same again, a conflict, a locked lesson, a mark outside the
    system and a foreign lesson — each answered as the schema says."""
    s = await journal_school()
    lesson, p1 = s.lessons[MONDAY], s.people["pupil1"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        r = await api(c, "/journal/api/cells", {"lesson": lesson, "student": p1, "value": "5 4", "was": ""})
        assert r.status_code == 200 and r.json() == {"state": "saved", "text": "5 4", "correction": None}
        r = await api(c, "/journal/api/cells", {"lesson": lesson, "student": p1, "value": "3", "was": ""})
        assert r.status_code == 409 and r.json()["current"] == "5 4"
        r = await api(c, "/journal/api/cells", {"lesson": s.lessons[OLD], "student": p1, "value": "3"})
        assert r.status_code == 422 and r.json()["need"] == "reason"
        r = await api(c, "/journal/api/cells", {"lesson": lesson, "student": p1, "value": "зач"})
        assert r.status_code == 400 and r.json()["field"] == "value" and "«зач»" in r.json()["error"]
        r = await api(c, "/journal/api/cells", {"lesson": s.english_lessons[date(2026, 11, 24)],
                                                "student": p1, "value": "5"})
        assert r.status_code == 404 and r.json() == {"error": "Не найдено", "field": None}
    assert [g["mark"] for g in await Grade.select(Grade.mark).order_by(Grade.position).run()] == ["5", "4"]


@pytest.mark.parametrize("body", [
    {"lesson": "первый", "student": 1, "value": "5"},
    {"lesson": 2**40, "student": 1, "value": "5"},
    {"lesson": 1, "student": -3, "value": "5"},
    {"lesson": 1, "student": 1, "value": "5" * 41},
    {"lesson": 1, "student": 1, "value": ["5"]},
    {"student": 1, "value": "5"},
    [1, 2, 3],
    "не JSON",
    None,
])
async def test_junk_gets_a_russian_400_and_never_a_500(db, body):
    await journal_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        before = await AuditEvent.count().run()
        if body == "не JSON":
            r = await c.post("/journal/api/cells", content=b"{lesson: 1", headers={
                "x-csrftoken": await token(c), "content-type": "application/json"})
        else:
            r = await api(c, "/journal/api/cells", body)
        assert r.status_code == 400, r.text
        assert r.json()["error"] and re.search("[а-я]", r.json()["error"])
        assert await AuditEvent.count().run() == before


async def test_the_api_marks_a_lessons_attendance_in_one_go(db):
    """R-ATT-1: absent and late in one request; a student who was not in the class refuses the
    whole list; an unknown kind is a 400."""
    s = await journal_school()
    lesson, p1, p2 = s.lessons[MONDAY], s.people["pupil1"], s.people["pupil2"]
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        r = await api(c, "/journal/api/attendance", {"lesson": lesson, "marks": {str(p1): "absent", str(p2): "late"}})
        assert r.status_code == 200
        assert r.json() == {"cells": {str(p1): {"state": "saved", "text": "н", "correction": None},
                                      str(p2): {"state": "saved", "text": "оп", "correction": None}}}
        r = await api(c, "/journal/api/attendance",
                      {"lesson": lesson, "marks": {str(p1): None, str(s.people["pupil3"]): "absent"}})
        assert r.status_code == 400 and r.json()["field"] == "student" and "не учился" in r.json()["error"]
        r = await api(c, "/journal/api/attendance", {"lesson": lesson, "marks": {str(p1): "прогул"}})
        assert r.status_code == 400
    rows = await Attendance.select(Attendance.student, Attendance.kind).run()
    assert {r["student"]: r["kind"] for r in rows} == {p1: "absent", p2: "late"}


async def test_the_api_needs_a_sign_in_and_the_csrf_header(db):
    s = await journal_school()
    body = {"lesson": s.lessons[MONDAY], "student": s.people["pupil1"], "value": "5"}
    async with client() as c:
        r = await c.get("/login")
        r = await c.post("/journal/api/cells", json=body, headers={"x-csrftoken": await _login_token(c)})
        assert r.status_code == 401 and "Войдите" in r.json()["error"]
        await sign_in(c, "uchitel", PASSWORD)
        r = await api(c, "/journal/api/cells", body, csrf=False)
        assert r.status_code == 403 and "x-csrftoken" in r.json()["error"]
    assert await Grade.count().run() == 0


async def _login_token(c) -> str:
    html = (await c.get("/login")).text
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)

"""OneRoster 1.2 CSV export (issue 11 item 10, R-X-2): the manifest names every file, each file
has the standard's header, every reference points at a row that exists, every confirmed final
of the year is a result; another role cannot download it."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest

from service.demo import DEMO_PASSWORD
from service.reports import oneroster
from service.timetable.tables import Lesson
from tests.factories import demo_school
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio


def _read(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


async def test_the_year_exports_as_consistent_oneroster_csv(db):
    await demo_school("S", 2026)
    year = (await Lesson.raw("SELECT id, name, starts_on, ends_on, is_current FROM academic_year "
                             "WHERE is_current = {}", False).run())[0]
    archive = zipfile.ZipFile(io.BytesIO(await oneroster.export(year, "Школа № 1 (тест)", date(2026, 11, 25))))
    manifest = {r["propertyName"]: r["value"] for r in _read(archive, "manifest.csv")}
    assert manifest["oneroster.version"] == "1.2"
    for name, header in oneroster.FILES.items():
        assert manifest[f"file.{name.removesuffix('.csv')}"] == "bulk"
        assert archive.read(name).decode("utf-8").splitlines()[0] == ",".join(header)
    users = {r["sourcedId"]: r for r in _read(archive, "users.csv")}
    classes = {r["sourcedId"]: r for r in _read(archive, "classes.csv")}
    courses = {r["sourcedId"] for r in _read(archive, "courses.csv")}
    sessions = {r["sourcedId"] for r in _read(archive, "academicSessions.csv")}
    items = {r["sourcedId"]: r for r in _read(archive, "lineItems.csv")}
    assert classes and users and items
    assert all(c["courseSourcedId"] in courses for c in classes.values())
    assert all(t in sessions for c in classes.values() for t in c["termSourcedIds"].split(","))
    enrollments = _read(archive, "enrollments.csv")
    assert all(e["classSourcedId"] in classes and e["userSourcedId"] in users for e in enrollments)
    assert all(i["classSourcedId"] in classes and i["gradingPeriodSourcedId"] in sessions for i in items.values())
    results = _read(archive, "results.csv")
    assert all(r["lineItemSourcedId"] in items and r["studentSourcedId"] in users for r in results)
    finals = (await Lesson.raw("SELECT COUNT(*) AS n FROM final_grade WHERE year = {} AND kind IN ('period', 'year')",
                               year["id"]).run())[0]["n"]
    assert len(results) == finals > 0
    roles = {r["userSourcedId"]: r["role"] for r in _read(archive, "roles.csv")}
    assert set(roles) == set(users) and {"student", "guardian", "teacher"} <= set(roles.values())
    guardians = {u for u, role in roles.items() if role == "guardian"}
    assert all(a in guardians for u in users.values() for a in u["agentSourcedIds"].split(",") if a)


async def test_only_the_administration_downloads_it(db):
    await demo_school("S", 2026)
    async with client() as c:
        await sign_in(c, "zavuch", DEMO_PASSWORD)
        r = await c.get("/reports/oneroster")
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert "manifest.csv" in zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    async with client() as c:
        await sign_in(c, "klruk", DEMO_PASSWORD)
        assert (await c.get("/reports/oneroster")).status_code == 403

"""The archive's pages through the real app (issue 12 items 3–5, R-ROLE-3): the deputy head
issues a class's transcripts with one button and downloads one; anyone, signed in or not,
checks it on the verification page by code and by file; a class teacher sees only her class's
documents, a parent no archive at all; garbage and oversized uploads get a Russian answer."""

from __future__ import annotations

import pytest

from service.demo import DEMO_PASSWORD
from service.records import issue, routes, rules, verify
from service.records.tables import IssuedDocument
from tests.factories import demo_school
from tests.records.test_export import last_year_class
from tests.routes import client, csrf_from, post_form, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
def seal(tmp_path, monkeypatch):
    from archive import keys

    folder = tmp_path / "keys" / "school"
    keys.init_school_keys(folder, school_name="Школа № 1 (тест)")
    for module in (issue, verify):
        monkeypatch.setattr(module, "seal_dir", lambda: folder)
    from service.records import queries

    monkeypatch.setattr(queries, "seal_dir", lambda: folder)
    monkeypatch.setattr(issue, "archive_dir", lambda: tmp_path / "archive")
    monkeypatch.setattr(routes, "archive_dir", lambda: tmp_path / "archive")
    routes._checks.clear()
    return folder


async def test_the_deputy_issues_a_class_and_anyone_verifies(db, seal):
    await demo_school("S", 2026)
    year, cls = await last_year_class()
    async with client() as c:
        await sign_in(c, "zavuch", DEMO_PASSWORD)
        page = (await c.get("/archive")).text
        assert "Выпустить выписки успеваемости" in page and "ezh: электронная печать системы" in page
        r = await post_form(c, "/archive/transcripts", {"year": str(year["id"]), "class": str(cls["id"]),
                                                        "period": ""}, page="/archive")
        assert r.status_code in (302, 303), r.text[-2000:]
        count = await IssuedDocument.count().run()
        assert count > 0 and f"issued={count}" in r.headers["location"]
        page = (await c.get("/archive")).text
        doc = await IssuedDocument.select().first().run()
        assert rules.shown_code(doc["short_code"]) in page
        pdf = await c.get(f"/archive/documents/{doc['id']}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    async with client() as anyone:
        page = await anyone.get(f"/v/{doc['short_code']}")
        assert page.status_code == 200 and "Код действителен" in page.text
        unknown = await anyone.get("/v/ZZZZZZZZ")
        assert unknown.status_code == 404 and "школа не выдавала" in unknown.text
        assert (await anyone.get("/v/0")).status_code == 404
        form = (await anyone.get("/verify")).text
        r = await anyone.post("/verify", files={"file": ("vypiska.pdf", pdf.content, "application/pdf")},
                              data={"_csrf_token": csrf_from(form)})
        assert r.status_code == 200 and "Документ подлинный" in r.text
        r = await anyone.post("/verify", files={"file": ("x.pdf", b"<html>not a pdf</html>", "application/pdf")},
                              data={"_csrf_token": csrf_from(form)})
        assert r.status_code == 200 and "Это не PDF-документ" in r.text
        big = b"%PDF-1.7\n" + b"0" * (21 * 1024 * 1024)
        r = await anyone.post("/verify", files={"file": ("big.pdf", big, "application/pdf")},
                              data={"_csrf_token": csrf_from(form)})
        assert r.status_code == 413 and "больше 20 МБ" in r.text
        assert (await anyone.get("/verify?code=ZZZZ-ZZZZ")).text.count("школа не выдавала") == 1


async def test_who_sees_what(db, seal):
    await demo_school("S", 2026)
    year, cls = await last_year_class()
    await issue.do_issue_transcripts(routes_deputy(), year["id"], class_ids=[cls["id"]])
    doc = await IssuedDocument.select().first().run()
    async with client() as c:
        await sign_in(c, "roditel", DEMO_PASSWORD)
        assert (await c.get("/archive")).status_code in (403, 404)
        assert (await c.get(f"/archive/documents/{doc['id']}")).status_code in (403, 404)
    async with client() as c:
        await sign_in(c, "klruk", DEMO_PASSWORD)  # leads a class of this year, not last year's
        page = await c.get("/archive")
        assert page.status_code == 200 and rules.shown_code(doc["short_code"]) not in page.text
        assert (await c.get(f"/archive/documents/{doc['id']}")).status_code == 404
        r = await post_form(c, "/archive/transcripts", {"year": str(year["id"]), "class": str(cls["id"])},
                            page="/archive")
        assert r.status_code == 404
    async with client() as c:
        await sign_in(c, "arhivist", DEMO_PASSWORD)
        page = (await c.get("/archive")).text
        assert rules.shown_code(doc["short_code"]) in page and "Выпустить выписки" not in page


async def test_the_verification_page_is_throttled_per_address(db, seal):
    await demo_school("S", 2026)
    async with client() as c:
        answers = [(await c.get("/verify?code=ZZZZ-ZZZZ")).status_code for _ in range(routes.CHECKS_PER_MINUTE + 2)]
    assert answers[:routes.CHECKS_PER_MINUTE] == [200] * routes.CHECKS_PER_MINUTE
    assert answers[-1] == 429


def routes_deputy():
    from service.accounts.rights import PERMISSION_CODES
    from service.accounts.viewer import Viewer

    return Viewer(1, "zavuch", None, "Завуч", ("deputy",), PERMISSION_CODES)




async def test_the_archivist_finds_a_document_by_code_and_attaches_the_head_s_signature(db, seal, tmp_path):
    """Issue 12 item 2 on the page: a transcript found by its printed code (however it is typed)
    gets the head's detached .sig over its PDF; the signature is listed with the document,
    downloadable, and audited. A signature over another file or garbage is refused in Russian,
    on the document's own form, with nothing stored; a code of the wrong shape is named."""
    from service.audit.tables import AuditEvent
    from service.records.tables import AttachedSignature
    from tests.records.test_seal import _head_signature

    await demo_school("S", 2026)
    year, cls = await last_year_class()
    await issue.do_issue_transcripts(routes_deputy(), year["id"], class_ids=[cls["id"]])
    doc = await IssuedDocument.select().order_by(IssuedDocument.id).first().run()
    pdf = (tmp_path / "archive" / doc["file"]).read_bytes()
    typed = rules.shown_code(doc["short_code"]).lower().replace("-", " ")  # as read off the paper
    async with client() as c:
        await sign_in(c, "arhivist", DEMO_PASSWORD)
        page = await c.get("/archive", params={"code": typed})
        assert page.status_code == 200 and page.text.count('id="doc-') == 1 and f'id="doc-{doc["id"]}"' in page.text
        bad = await c.get("/archive", params={"code": "12"})
        assert bad.status_code == 400 and "Код документа — восемь знаков" in bad.text
        form = csrf_from(page.text)

        async def attach(name: str, data: bytes):
            return await c.post(f"/archive/documents/{doc['id']}/signature", data={"_csrf_token": form, "note": "директор"},
                                files={"file": (name, data, "application/pkcs7-signature")})

        wrong = await attach("x.sig", _head_signature(tmp_path, b"another file"))
        assert wrong.status_code == 400 and "не над файлом" in wrong.text and f'id="doc-{doc["id"]}"' in wrong.text
        assert (await attach("x.sig", b"\x30\x03garbage")).status_code == 400
        assert await AttachedSignature.count().run() == 0
        done = await attach("vypiska.pdf.sig", _head_signature(tmp_path, pdf))
        assert done.status_code in (302, 303) and f"#doc-{doc['id']}" in done.headers["location"]
        listed = await c.get(done.headers["location"])
        assert "Подпись приложена и сохранена вместе с документом" in listed.text and "vypiska.pdf.sig" in listed.text
        row = await AttachedSignature.select().first().run()
        assert row["document"] == doc["id"]
        got = await c.get(f"/archive/signatures/{row['id']}")
        assert got.status_code == 200 and got.content == (tmp_path / "archive" / row["file"]).read_bytes()
    audit = await AuditEvent.select().where(AuditEvent.action == "records.signature_attached").run()
    assert len(audit) == 1 and audit[0]["object_type"] == "issued_document" and audit[0]["object_id"] == str(doc["id"])

"""Sealing a year (issue 12 items 6, 7, 9; R-ARC-1..3) on the demo school's finished year, with
the school's real seal, real PDF/A, the real package builder and its own checker, `verify.sh`
under a bare environment: the package holds every class's sealed summary sheet, every pupil's
year transcript, the movement extract, the journals, the audit extract and the опись; the
passport and the summary sheets verify by code; reopening is audited with its reason and the
next seal is version 2 naming version 1, which stays valid; refusals change nothing."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from archive import package_verify
from service import db as dbmod
from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.audit.log import record
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.db import atomic
from service.demo import DEMO_PASSWORD
from service.errors import NotFound, Refused
from service.orders.queries import rollover_plan
from service.records import issue, queries, routes, rules, seal, verify, year_export
from service.records.tables import AttachedSignature, IssuedDocument, SealedYear
from service.school.tables import AcademicYear
from service.timetable.tables import Lesson
from tests.factories import demo_school
from tests.records.test_export import last_year_class
from tests.routes import client, post_form, sign_in

pytestmark = pytest.mark.anyio
DEPUTY = Viewer(1, "zavuch", None, "Орлова Г. П.", ("deputy",), PERMISSION_CODES)
ARCHIVIST = Viewer(2, "arhivist", None, "Архивист", ("archivist",), frozenset({"archive.view"}))


@pytest.fixture
def school_seal(tmp_path, monkeypatch):
    """The school's seal by the real key store, and the archive folder, both of this test."""
    from archive import keys

    folder = tmp_path / "keys" / "school"
    keys.init_school_keys(folder, school_name="Школа № 1 (тест)")
    for module in (issue, verify, queries):
        monkeypatch.setattr(module, "seal_dir", lambda: folder)
    monkeypatch.setattr(issue, "archive_dir", lambda: tmp_path / "archive")
    monkeypatch.setattr(routes, "archive_dir", lambda: tmp_path / "archive")
    routes._checks.clear()
    return folder


def _run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    """A tool of the system (pdftotext, sh, python3): quick, nothing else to do meanwhile."""
    return subprocess.run(argv, capture_output=True, text=True, **kw)


async def _rows(sql: str, *args):
    return await Lesson.raw(sql, *args).run()


async def test_a_closed_year_is_sealed_reopened_with_a_reason_and_sealed_again(sqlite_db, school_seal, tmp_path):
    """R-ARC-1, R-ARC-2, R-ARC-3: the whole flow, checked as the archivist would (on SQLite; the
    same seal on PostgreSQL runs in the race test below)."""
    await demo_school("S", 2026)
    year, _ = await last_year_class()
    classes = await _rows("SELECT id, name FROM school_class WHERE year = {}", year["id"])
    # an earlier year sealed before: this seal must name its digest (the chain of years)
    async with atomic():
        earlier = (await AcademicYear.insert(AcademicYear(name="2024/2025", starts_on=date(2024, 9, 1),
                                                          ends_on=date(2025, 5, 31), closed_at=datetime.now().astimezone()))
                   .returning(AcademicYear.id).run())[0]["id"]
        await SealedYear.insert(SealedYear(year=earlier, version=1, name="ezh-2024-2025-v1", root_digest="7" * 64,
                                           folder="/nowhere", tar="/nowhere.tar", files=1, size=1,
                                           sealed_at=datetime.now().astimezone())).run()

    first = await seal.do_seal_year(DEPUTY, year["id"])
    assert first.version == 1 and first.name == "ezh-2025-2026-v1"
    verdict = package_verify.verify_package(first.folder)
    assert verdict.ok, verdict.problems
    assert verdict.previous_year_digest == "7" * 64 and verdict.supersedes_digest is None
    assert package_verify.verify_package(first.tar).root_digest == first.root_digest
    data = first.folder / "data"
    # every class's sealed summary sheet, every pupil's year transcript, the rest
    assert sorted(p.name for p in (data / "summary").iterdir()) == sorted(f"{rules.file_stem(c['name'])}.pdf"
                                                                          for c in classes)
    pupils = await _rows("SELECT COUNT(*) AS n FROM issued_document WHERE kind = 'transcript' AND year = {} "
                         "AND period IS NULL AND superseded_at IS NULL", year["id"])
    assert len(list((data / "transcripts").rglob("*.pdf"))) == pupils[0]["n"] > 0
    for name in ("movement/dvizhenie.csv", "audit/events.jsonl", "audit/chain.txt", "opis.pdf"):
        assert (data / name).is_file(), name
    assert {p.suffix for p in (data / "journals").iterdir()} == {".csv", ".ods"}
    movement = (data / "movement" / "dvizhenie.csv").read_text(encoding="utf-8")
    assert movement.startswith("Приказ №;") and "перевод в следующий класс" in movement
    # the summary sheets carry the school's seal and verify by code; so does the passport (by file)
    sheet = await IssuedDocument.select().where(IssuedDocument.kind == "summary_sheet").first().run()
    assert (await verify.by_code(sheet["short_code"])).status == "valid"
    text = _run(["pdftotext", str(data / "summary" / Path(sheet["file"]).name), "-"], check=True).stdout
    assert "Сводная ведомость итоговых отметок" in text and rules.shown_code(sheet["short_code"]) in text
    passport = first.passport.read_bytes()
    assert (await verify.by_file(passport)).status == "valid"
    printed = _run(["pdftotext", str(first.passport), "-"], check=True).stdout
    assert first.root_digest[:4] + " " + first.root_digest[4:8] in printed  # the digest, in groups, on paper
    # verify.sh with nothing but sh, coreutils and openssl on the PATH
    bare = _run(["sh", "verify.sh"], cwd=first.folder, env={"PATH": "/usr/bin:/bin"})
    assert bare.returncode == 0, bare.stdout + bare.stderr
    closed = (await _rows("SELECT closed_at FROM academic_year WHERE id = {}", year["id"]))[0]["closed_at"]
    assert closed is not None
    audit = await AuditEvent.select().where(AuditEvent.action == "records.year_sealed").run()
    assert len(audit) == 1 and json.loads(audit[0]["new"])["root_digest"] == first.root_digest

    # sealed once: a second seal is refused and changes nothing
    with pytest.raises(Refused, match="уже запечатан"):
        await seal.do_seal_year(DEPUTY, year["id"])
    # reopening needs a reason; with one, the year is open and audited with it
    with pytest.raises(Refused, match="Причина"):
        await seal.do_reopen_year(DEPUTY, year["id"], "  надо ")
    with pytest.raises(NotFound):
        await seal.do_reopen_year(ARCHIVIST, year["id"], "Исправление годовой отметки по протоколу № 10")
    await seal.do_reopen_year(DEPUTY, year["id"], "Исправление годовой отметки по протоколу № 10")
    assert (await _rows("SELECT closed_at FROM academic_year WHERE id = {}", year["id"]))[0]["closed_at"] is None
    reopened = await AuditEvent.select().where(AuditEvent.action == "records.year_reopened").run()
    assert reopened[0]["reason"] == "Исправление годовой отметки по протоколу № 10"
    with pytest.raises(Refused, match="уже открыт"):
        await seal.do_reopen_year(DEPUTY, year["id"], "Ещё одна причина для открытия")
    # the open year is not rolled over a second time
    new_year = (await _rows("SELECT id FROM academic_year WHERE is_current = {}", True))[0]["id"]
    with pytest.raises(Refused, match="уже сделан"):
        await rollover_plan(year["id"], new_year)

    second = await seal.do_seal_year(DEPUTY, year["id"])
    assert second.version == 2 and second.reissued == 0  # nothing changed: the transcripts are reused
    with pytest.raises(Refused, match="только последнюю версию"):
        await seal.do_reopen_year(DEPUTY, year["id"], "Исправление по протоколу № 11", sealed_id=first.id)
    v2 = package_verify.verify_package(second.folder)
    assert v2.ok and v2.supersedes_digest == first.root_digest
    assert package_verify.verify_package(first.folder).ok  # the old package stays valid
    old_sheet = await IssuedDocument.select().where(IssuedDocument.id == sheet["id"]).first().run()
    assert old_sheet["superseded_at"] is not None
    assert (await verify.by_code(sheet["short_code"])).status == "superseded"  # the school's, marked replaced
    rows = await seal.register(year["id"])
    assert [r["version"] for r in rows] == [2, 1] and rows[1]["reopened_at"] is not None

    # the archivist re-verifies now: a changed byte in the tar is found and kept in the register
    tar = second.tar
    blob = bytearray(tar.read_bytes())
    blob[len(blob) // 2] ^= 1
    tar.write_bytes(bytes(blob))
    verdict = await seal.do_verify_sealed(ARCHIVIST, second.id)
    assert not verdict["ok"] and verdict["message"].startswith("tar:")
    row = (await seal.register(year["id"]))[0]
    assert row["verified_ok"] is False and "tar" in row["verify_message"]


async def test_a_reopened_year_is_closed_while_resealed_and_open_again_if_that_fails(sqlite_db, school_seal,
                                                                                      monkeypatch):
    """No correction may land while the new version is read: the reopened year is closed for
    the build; a failed build leaves it open, as the deputy head left it."""
    await demo_school("S", 2026)
    year, _ = await last_year_class()
    await seal.do_seal_year(DEPUTY, year["id"])
    await seal.do_reopen_year(DEPUTY, year["id"], "Исправление годовой отметки по протоколу № 10")
    seen = {}

    async def during(*_args):
        seen["closed"] = (await _rows("SELECT closed_at FROM academic_year WHERE id = {}", year["id"]))[0]["closed_at"]
        raise Refused("сбой на середине")

    monkeypatch.setattr(year_export, "write_movement", during)
    with pytest.raises(Refused, match="сбой на середине"):
        await seal.do_seal_year(DEPUTY, year["id"])
    assert seen["closed"] is not None
    assert (await _rows("SELECT closed_at FROM academic_year WHERE id = {}", year["id"]))[0]["closed_at"] is None
    assert [r["version"] for r in await seal.register(year["id"])] == [1]
    # both steps are in the audit log, in order, each naming the year (nothing silent)
    steps = [r["action"] for r in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.object_id == str(year["id"])).order_by(AuditEvent.seq).run()]
    assert steps[-3:] == ["records.year_reopened", "records.year_closed_for_seal",
                          "records.year_reopened_after_failed_seal"]


async def test_sealing_is_refused_with_the_reason_and_nothing_written(db, school_seal, tmp_path):
    await demo_school("S", 2026)
    year, cls = await last_year_class()
    current = (await _rows("SELECT id FROM academic_year WHERE is_current = {}", True))[0]["id"]
    with pytest.raises(Refused, match="ещё не закрыт"):
        await seal.do_seal_year(DEPUTY, current)
    with pytest.raises(NotFound):
        await seal.do_seal_year(ARCHIVIST, year["id"])
    with pytest.raises(NotFound):
        await seal.do_seal_year(DEPUTY, 10**6)
    # a year final missing: refused, naming the class
    gone = (await _rows("SELECT f.id FROM final_grade f JOIN enrolment e ON e.student = f.student "
                        "WHERE f.year = {} AND f.kind = 'year' AND e.school_class = {} LIMIT 1",
                        year["id"], cls["id"]))[0]["id"]
    await Lesson.raw("DELETE FROM final_grade WHERE id = {}", gone).run()
    with pytest.raises(Refused, match=f"не выставлены итоговые отметки — .*{cls['name']} \\(1\\)"):
        await seal.do_seal_year(DEPUTY, year["id"])
    assert await SealedYear.count().run() == 0 and await IssuedDocument.count().run() == 0
    assert not (tmp_path / "archive" / "years").exists()


async def test_without_the_seal_key_nothing_is_sealed(db, school_seal, tmp_path):
    await demo_school("S", 2026)
    year, _ = await last_year_class()
    shutil.rmtree(school_seal)
    with pytest.raises(Refused, match="не запечатан"):
        await seal.do_seal_year(DEPUTY, year["id"])
    assert await SealedYear.count().run() == 0
    assert not (tmp_path / "archive" / "years").exists()


async def test_two_seals_at_once_make_one_package(pg_db, school_seal, tmp_path):
    """A race on PostgreSQL: the deputy's button twice (or the button and the command)."""
    await demo_school("S", 2026)
    year, _ = await last_year_class()
    results = await asyncio.gather(seal.do_seal_year(DEPUTY, year["id"]), seal.do_seal_year(DEPUTY, year["id"]),
                                   return_exceptions=True)
    made = [r for r in results if isinstance(r, seal.Sealed)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(made) == 1 and len(refused) == 1, results
    assert await SealedYear.count().run() == 1
    assert sorted(p.name for p in (tmp_path / "archive" / "years").iterdir()) == sorted(
        [made[0].folder.name, made[0].tar.name, made[0].passport.name])


async def test_the_audit_extract_verifies_with_python_alone(db, tmp_path):
    """The chain of the year's audit rows checks with the snippet the package prints, run by the
    system's python3 in isolated mode (no ezh); a changed row breaks it."""
    now = datetime.now().astimezone()
    async with atomic():
        for n in range(3):
            await record(DEPUTY.actor, "records.verified", "issued_document", n, new={"n": n})
    year = {"id": 0, "name": "2025/2026", "starts_on": date(2025, 9, 1)}
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    titles, info = await year_export.write_audit(year, tmp_path, start, end)
    in_span = await AuditEvent.count().where((AuditEvent.at >= start) & (AuditEvent.at < end)).run()
    assert info["count"] == in_span >= 3 and info["head_hash"] == info["last_hash"]
    assert "audit/events.jsonl" in titles
    text = (tmp_path / "audit" / "chain.txt").read_text(encoding="utf-8")
    snippet = text[text.index("python3 -c"):].strip()
    folder = tmp_path / "audit"
    ok = _run(["sh", "-c", snippet], cwd=folder, env={"PATH": "/usr/bin:/bin"})
    assert ok.returncode == 0 and info["last_hash"] in ok.stdout, ok.stderr
    lines = (folder / "events.jsonl").read_bytes().splitlines(keepends=True)
    assert b"records.verified" in lines[-2]
    lines[-2] = lines[-2].replace(b"records.verified", b"records.verifiex")
    (folder / "events.jsonl").write_bytes(b"".join(lines))
    bad = _run(["sh", "-c", snippet], cwd=folder, env={"PATH": "/usr/bin:/bin"})
    assert bad.returncode != 0


async def test_the_archivist_downloads_and_rechecks_and_others_get_not_found(sqlite_db, school_seal):
    await demo_school("S", 2026)
    year, _ = await last_year_class()
    done = await seal.do_seal_year(DEPUTY, year["id"])
    async with client() as c:
        await sign_in(c, "arhivist", DEMO_PASSWORD)
        page = (await c.get("/archive")).text
        assert done.name in page and "Проверить сейчас" in page and "Запечатать год" not in page
        tar = await c.get(f"/archive/years/{done.id}/tar")
        assert tar.status_code == 200 and tar.content == done.tar.read_bytes()
        passport = await c.get(f"/archive/years/{done.id}/passport")
        assert passport.status_code == 200 and passport.content.startswith(b"%PDF-")
        assert (await c.get(f"/archive/years/{done.id}/other")).status_code == 404
        assert (await c.get(f"/archive/years/{done.id + 100}/tar")).status_code == 404
        r = await post_form(c, f"/archive/years/{done.id}/verify", {}, page="/archive")
        assert r.status_code in (302, 303) and "checked=" in r.headers["location"]
        # the archivist may check, not seal or reopen
        r = await post_form(c, "/archive/seal", {"year": str(year["id"])}, page="/archive")
        assert r.status_code in (403, 404)
        r = await post_form(c, f"/archive/years/{done.id}/reopen", {"reason": "Хочу исправить отметки"},
                            page="/archive")
        assert r.status_code in (403, 404)
    async with client() as c:
        await sign_in(c, "klruk", DEMO_PASSWORD)
        assert (await c.get(f"/archive/years/{done.id}/tar")).status_code in (403, 404)
    async with client() as c:
        await sign_in(c, "zavuch", DEMO_PASSWORD)
        r = await post_form(c, "/archive/seal", {"year": str(year["id"])}, page="/archive")
        assert r.status_code == 400 and "уже запечатан" in r.text
        r = await post_form(c, f"/archive/years/{done.id}/reopen", {"reason": "мало"}, page="/archive")
        assert r.status_code == 400 and "не короче 10 знаков" in r.text
        r = await post_form(c, f"/archive/years/{done.id}/reopen",
                            {"reason": "Исправление отметки по протоколу педсовета № 10"}, page="/archive")
        assert r.status_code in (302, 303)
    assert done.folder.is_dir()  # noqa: ASYNC240 — reopening leaves the package where it was


def _head_signature(tmp_path: Path, content: bytes, *, detached: bool = True) -> bytes:
    """A signature as the head's own tools make it: CMS over the file, by openssl here."""
    key, cert, data = tmp_path / "head.key", tmp_path / "head.crt", tmp_path / "tagmanifest-sha256.txt"
    data.write_bytes(content)
    if not cert.exists():
        _run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
              "-keyout", str(key), "-out", str(cert), "-days", "30", "-subj", "/CN=Director"], check=True)
    out = tmp_path / "x.sig"
    _run(["openssl", "cms", "-sign", "-binary", "-in", str(data), "-signer", str(cert), "-inkey", str(key),
          "-outform", "DER", "-out", str(out), *([] if detached else ["-nodetach"])], check=True)
    return out.read_bytes()


async def test_the_head_s_qualified_signature_is_attached_hashed_and_listed(db, school_seal, tmp_path):
    """Issue 12 item 2: a detached .sig over the package's manifest is stored beside it, hashed,
    audited and listed; an attached signature, garbage, a wrong name, a repeat or a stranger's
    try are refused in Russian with nothing stored."""
    from service.records import signatures

    await demo_school("S", 2026)
    year, _ = await last_year_class()
    async with atomic():
        sealed_id = (await SealedYear.insert(SealedYear(
            year=year["id"], version=1, name="ezh-2025-2026-v1", root_digest="a" * 64, folder="years/x",
            tar="years/x.tar", files=1, size=1, sealed_at=datetime.now().astimezone())).returning(SealedYear.id).run())[0]["id"]
    package = tmp_path / "archive" / "years" / "x"
    package.mkdir(parents=True)
    (package / "tagmanifest-sha256.txt").write_bytes(b"manifest lines\n")
    good = _head_signature(tmp_path, b"manifest lines\n")
    done = await signatures.do_attach_signature(ARCHIVIST, sealed_id=sealed_id, filename="tagmanifest-sha256.txt.sig",
                                                data=good, note="подписал директор")
    assert done["checked"].startswith("сверена с файлом")
    stored = tmp_path / "archive" / done["file"]
    assert stored.read_bytes() == good and done["sha256"] == __import__("hashlib").sha256(good).hexdigest()
    assert [s["filename"] for s in (await signatures.listed([sealed_id]))[sealed_id]] == ["tagmanifest-sha256.txt.sig"]
    audit = await AuditEvent.select().where(AuditEvent.action == "records.signature_attached").run()
    assert len(audit) == 1 and json.loads(audit[0]["new"])["sha256"] == done["sha256"]
    refusals = [
        ("x.sig", _head_signature(tmp_path, b"manifest lines\n", detached=False), "присоединённая"),
        ("x.sig", b"\x30\x03garbage", "не подпись CMS"),
        ("x.txt", good, "ожидается файл подписи"),
        ("x.sig", b"", "пуст"),
        ("x.sig", b"0" * (signatures.MAX_BYTES + 1), "больше 1 МБ"),
        ("y.sig", good, "уже приложена"),
        ("z.sig", _head_signature(tmp_path, b"another version\n"), "не над файлом tagmanifest-sha256.txt"),
    ]
    for name, data, words in refusals:
        with pytest.raises(Refused, match=words):
            await signatures.do_attach_signature(ARCHIVIST, sealed_id=sealed_id, filename=name, data=data)
    stranger = Viewer(9, "uchitel", None, "Учитель", ("teacher",), frozenset({"journal.view"}))
    with pytest.raises(NotFound):
        await signatures.do_attach_signature(stranger, sealed_id=sealed_id, filename="x.sig", data=good)
    with pytest.raises(NotFound):
        await signatures.do_attach_signature(ARCHIVIST, sealed_id=sealed_id + 99, filename="x.sig", data=good)
    assert len(list((tmp_path / "archive" / "signatures").iterdir())) == 1


async def test_two_archivists_attaching_the_same_signature_at_once_get_one_row_and_one_file(pg_db, school_seal,
                                                                                           tmp_path):
    """R-ARC-2, a race on PostgreSQL with real concurrent connections: two archivists attach the
    head's same .sig to the package at the same moment. One signature is listed, with one audit
    event and one file beside the package (the signature itself); the other archivist is told it
    is already attached, and that refusal removes nothing."""
    from service.records import signatures

    async with atomic():
        year = (await AcademicYear.insert(AcademicYear(name="2025/2026", starts_on=date(2025, 9, 1),
                                                       ends_on=date(2026, 5, 31), closed_at=datetime.now().astimezone()))
                .returning(AcademicYear.id).run())[0]["id"]
        sealed_id = (await SealedYear.insert(SealedYear(
            year=year, version=1, name="ezh-2025-2026-v1", root_digest="b" * 64, folder="years/x",
            tar="years/x.tar", files=1, size=1, sealed_at=datetime.now().astimezone())).returning(SealedYear.id).run())[0]["id"]
    package = tmp_path / "archive" / "years" / "x"
    package.mkdir(parents=True)
    (package / "tagmanifest-sha256.txt").write_bytes(b"manifest lines\n")
    good = _head_signature(tmp_path, b"manifest lines\n")
    other = Viewer(3, "arhivist2", None, "Второй архивист", ("archivist",), frozenset({"archive.view"}))
    await dbmod.start_pool(4)
    try:
        results = await asyncio.gather(*(signatures.do_attach_signature(
            who, sealed_id=sealed_id, filename="tagmanifest-sha256.txt.sig", data=good) for who in (ARCHIVIST, other)),
            return_exceptions=True)
    finally:
        await dbmod.close_pool()
    attached = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(attached) == 1 and len(refused) == 1, results
    assert (refused[0].message, refused[0].field) == ("Эта подпись уже приложена", "file")
    rows = await AttachedSignature.select(AttachedSignature.file).run()
    assert [r["file"] for r in rows] == [attached[0]["file"]]
    assert await AuditEvent.count().where(AuditEvent.action == "records.signature_attached").run() == 1
    assert [p.name for p in (tmp_path / "archive" / "signatures").iterdir()] == [Path(attached[0]["file"]).name]
    assert (tmp_path / "archive" / attached[0]["file"]).read_bytes() == good
    assert (await verify_chain()).ok


async def test_a_full_disk_while_sealing_leaves_the_register_and_the_folder_as_they_were(sqlite_db, school_seal,
                                                                                         tmp_path, monkeypatch):
    """Bad input from the issue: «a disk that fills up during sealing» — here while the
    journals are written (the package builder's own full disk: tests/archive/test_package.py)."""
    import errno

    await demo_school("S", 2026)
    year, _ = await last_year_class()

    def full(*_args) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(year_export, "_write_journal", full)
    with pytest.raises(Refused, match="не хватает места.*не изменены"):
        await seal.do_seal_year(DEPUTY, year["id"])
    assert await SealedYear.count().run() == 0
    assert await IssuedDocument.count().where(IssuedDocument.kind != "transcript").run() == 0
    years = tmp_path / "archive" / "years"
    assert not years.exists() or list(years.iterdir()) == []
    assert not [p for p in (tmp_path / "archive").iterdir() if p.name.startswith(".seal-")]
    assert (await _rows("SELECT closed_at FROM academic_year WHERE id = {}", year["id"]))[0]["closed_at"] is not None

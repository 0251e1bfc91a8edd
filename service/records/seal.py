"""Sealing a year (issue 12 items 6, 7, 9; R-ARC-1..3): the closed year's summary sheets, year
transcripts, movement extract, journals and audit extract become one BagIt package with the
system's seal, its «паспорт архива» is printed, and the register remembers it — one audit row.

The order of the work keeps every failure harmless:
1. refusals first (no right, year not found, still open, already sealed, finals missing, no
   seal key, another seal running) — nothing written;
2. the year transcripts whose data changed since they were issued (or never issued) are issued
   as documents of their own, like the button «Выпустить» would;
3. the payload is written to a temporary folder, the package is built beside the others by
   ``archive.build_package`` (atomic: a full disk leaves nothing) and the passport is sealed;
4. the register's transaction (sealed year, summary sheets, passport, year closed, audit) — if
   it fails, the new package and passport are removed again.

Reopening (item 7) is an audited action with a reason: the year becomes editable (corrections
still go through the journal's rules for closed periods), the sealed package stays as it was and
valid, and the next seal is version 2, which names version 1's root digest."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from service.accounts.viewer import Viewer
from service.audit.log import Actor, record
from service.db import atomic, is_postgres
from service.errors import NotFound, Refused
from service.journal.final_queries import missing_finals
from service.records import export, issue, rules, year_export
from service.records.tables import IssuedDocument, SealedYear
from service.school.tables import AcademicYear
from service.settings import get_settings
from service.timetable.tables import Lesson

SUMMARY = "summary_sheet"
PASSPORT = "passport"
REASON_MIN = 10


@dataclass
class Sealed:
    id: int
    name: str
    version: int
    root_digest: str
    folder: Path
    tar: Path
    passport: Path
    files: int
    bytes: int
    reissued: int  # year transcripts issued anew for the package
    seconds: float
    without_sheets: list[str]  # classes without a single final (no summary sheet)


@asynccontextmanager
async def _closed_while_sealing(actor: Actor, year: dict):
    """A year reopened for corrections is closed while its new version is built, so that no
    correction lands after the package was read; if the seal fails it is open again as it was.
    Both are audited steps of their own (the seal's row comes only if the seal succeeds)."""
    if year["closed_at"] is not None:
        yield
        return
    closed_at = datetime.now(get_settings().tz)
    async with atomic():
        await AcademicYear.update({AcademicYear.closed_at: closed_at}).where(
            (AcademicYear.id == year["id"]) & AcademicYear.closed_at.is_null()).run()
        await record(actor, "records.year_closed_for_seal", "academic_year", year["id"],
                     old={"closed_at": None}, new={"closed_at": closed_at.isoformat()})
    try:
        yield
    except BaseException:
        async with atomic():
            await AcademicYear.update({AcademicYear.closed_at: None}).where(AcademicYear.id == year["id"]).run()
            await record(actor, "records.year_reopened_after_failed_seal", "academic_year", year["id"],
                         old={"closed_at": closed_at.isoformat()}, new={"closed_at": None},
                         reason="запечатывание не удалось: год снова открыт для исправления, как был")
        raise


async def _year(year_id: int) -> dict:
    rows = await Lesson.raw("SELECT id, name, starts_on, ends_on, closed_at FROM academic_year WHERE id = {}",
                            year_id).run()
    if not rows:
        raise NotFound()
    return rows[0]


async def register(year_id: int | None = None) -> list[dict]:
    """Sealed packages, newest year and version first (one query)."""
    return await Lesson.raw(
        "SELECT s.*, y.name AS year_name FROM sealed_year s JOIN academic_year y ON y.id = s.year "
        + ("WHERE s.year = {} " if year_id is not None else "")
        + "ORDER BY y.starts_on DESC, s.version DESC", *([year_id] if year_id is not None else [])).run()


async def latest_seal(year_id: int) -> dict | None:
    rows = await Lesson.raw("SELECT * FROM sealed_year WHERE year = {} ORDER BY version DESC LIMIT 1", year_id).run()
    return rows[0] if rows else None


async def _previous_year_digest(year: dict) -> str | None:
    """The root digest of the latest seal of the year before (the chain of years), if sealed."""
    rows = await Lesson.raw(
        "SELECT s.root_digest FROM sealed_year s JOIN academic_year y ON y.id = s.year "
        "WHERE y.starts_on < {} ORDER BY y.starts_on DESC, s.version DESC LIMIT 1", year["starts_on"]).run()
    return rows[0]["root_digest"] if rows else None


async def _next_year_start(year: dict) -> date | None:
    rows = await Lesson.raw("SELECT starts_on FROM academic_year WHERE starts_on > {} ORDER BY starts_on LIMIT 1",
                            year["starts_on"]).run()
    return rows[0]["starts_on"] if rows else None


async def _refusals(viewer: Viewer, year: dict, today: date) -> dict | None:
    """Why this year cannot be sealed now, as a Refused; else the previous seal (or None)."""
    if not viewer.can("records.seal"):
        raise NotFound()
    last = await latest_seal(year["id"])
    if last is not None and last["reopened_at"] is None:
        raise Refused(f"{year['name']} учебный год уже запечатан (версия {last['version']}, пакет {last['name']}). "
                      "Чтобы внести исправления, откройте год для исправления с указанием причины, затем "
                      "запечатайте заново.", field="year")
    if year["closed_at"] is None and last is None:
        raise Refused(f"{year['name']} учебный год ещё не закрыт. Запечатывается закрытый год: сначала выставьте "
                      "итоговые отметки и сделайте перевод учащихся на следующий год (раздел «Приказы» → "
                      "«Перевод на следующий год»), он закрывает год.", field="year")
    if year["ends_on"] >= today:
        raise Refused(f"{year['name']} учебный год ещё не кончился (последний день — "
                      f"{year['ends_on']:%d.%m.%Y})", field="year")
    if not await export.head_name(today):
        raise Refused("Не указан директор школы: его имя печатается в сводных ведомостях и паспорте архива. "
                      "Укажите его в настройке EZH_SCHOOL_HEAD ([school] head в ezh.toml) или назначьте "
                      "сотрудника на должность «директор». Год не запечатан.", field="year")
    lacking: dict[str, int] = {}
    for m in await missing_finals(year, today, due_only=False):
        owner = m["title"].split(" · ")[0]
        lacking[owner] = lacking.get(owner, 0) + m["missing"]
    for name, n in (await _missing_year_finals(year, today)).items():
        lacking[name] = lacking.get(name, 0) + n
    if lacking:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(lacking.items())[:30])
        raise Refused(f"Год не запечатан: не выставлены итоговые отметки — {listed} (в скобках — сколько "
                      "отметок не хватает). Выставьте их или отметьте «н/а» / «осв.» и повторите.", field="year")
    return last


async def _missing_year_finals(year: dict, today: date) -> dict[str, int]:
    """Per class, the year finals lacking: a pupil in the class on the year's last day who has
    period finals in a subject but no year final in it. Complements the
    journal's own check, which knows only the journals of the teaching load."""
    ends = year["ends_on"]
    rows = await Lesson.raw(
        "SELECT e.student, c.name AS class_name, f.subject, f.kind FROM enrolment e "
        "JOIN school_class c ON c.id = e.school_class "
        "JOIN final_grade f ON f.student = e.student AND f.year = c.year "
        "WHERE c.year = {} AND e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= {})",
        year["id"], ends, ends).run()
    some: dict[tuple[int, int], str] = {}
    done: set[tuple[int, int]] = set()
    for r in rows:
        if r["kind"] == "period":  # an exam alone (ОГЭ in «Математика») asks for no year final
            some[(r["student"], r["subject"])] = r["class_name"]
        elif r["kind"] == "year":
            done.add((r["student"], r["subject"]))
    out: dict[str, int] = {}
    for key, class_name in some.items():
        if key not in done:
            out[class_name] = out.get(class_name, 0) + 1
    return out


async def _current_year_transcripts(year_id: int) -> dict[int, dict]:
    """The current (not superseded) year transcript of each pupil, by pupil. One query."""
    rows = await Lesson.raw(
        "SELECT id, student, content_sha256, file, sha256, short_code FROM issued_document "
        "WHERE kind = 'transcript' AND year = {} AND period IS NULL AND superseded_at IS NULL", year_id).run()
    return {r["student"]: r for r in rows}


async def _stale_transcripts(year: dict, classes: list[dict],
                             today: date) -> tuple[dict[int, set[int]], list[tuple[int, str]]]:
    """Per class, the pupils whose current year transcript is missing or was made from other
    data; and every pupil with finals and their class (whose transcripts the package holds)."""
    stale: dict[int, set[int]] = {}
    wanted: list[tuple[int, str]] = []
    current = await _current_year_transcripts(year["id"])
    for c in classes:
        pupils, _, _ = await export.class_transcripts(year, c["id"], None, today)
        for p in pupils:
            wanted.append((p.student, c["name"]))
            doc = current.get(p.student)
            if doc is None or doc["content_sha256"] != export.content_digest(p.doc):
                stale.setdefault(c["id"], set()).add(p.student)
    return stale, wanted


def _write_new(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


async def do_seal_year(viewer: Viewer, year_id: int, *, out_dir: Path | None = None, today: date | None = None,
                       now: datetime | None = None, progress: Callable[[str], None] | None = None) -> Sealed:
    """Seal the closed year (or a reopened one, as the next version). Russian refusals name
    what is wrong; a failure leaves the previous packages and the register as they were."""
    from archive import batch, documents, keys, package, pdfsign

    say = progress or (lambda _text: None)
    loop = asyncio.get_running_loop()
    started = loop.time()
    settings = get_settings()
    today = today or datetime.now(settings.tz).date()
    year = await _year(year_id)
    last = await _refusals(viewer, year, today)
    try:
        identity = keys.load_identity(issue.seal_dir(), passphrase_file=issue.seal_passphrase_file())
    except keys.KeyStoreError as exc:
        raise Refused(f"{exc}. Год не запечатан, ничего не изменено.") from None
    root = issue.archive_dir()
    out = Path(out_dir) if out_dir else root / "years"
    classes = await Lesson.raw("SELECT id, name, grade FROM school_class WHERE year = {} ORDER BY grade, letter, name",
                               year_id).run()
    if not classes:
        raise Refused(f"В {year['name']} учебном году нет классов — запечатывать нечего", field="year")
    with issue.alone(root, ".seal.lock", "Учебный год уже запечатывается (другим пользователем или командой): "
                                         "дождитесь окончания. Ничего не изменено."):
        async with _closed_while_sealing(viewer.actor, year):
            now = now or datetime.now(settings.tz)
            version = last["version"] + 1 if last else 1
            meta = package.SealMeta(
                school_name=settings.school.full_name or settings.school.name, year=year["name"], version=version,
                sealed_at=now, sealed_by=viewer.full_name or viewer.login,
                previous_year_digest=await _previous_year_digest(year),
                supersedes_digest=last["root_digest"] if last else None,
                software=f"ezh {_version()}", export_format=f"ezh-export/{export.FORMAT_VERSION}")
            try:
                name = package.package_name(meta)
            except package.PackageError as exc:
                raise Refused(str(exc), field="year") from None
            # the summary sheets' documents first, checked before anything is issued or written:
            # a class without a single final (the first grade's marks-free year) has no sheet
            say("сводные ведомости")
            sheet_docs, without = [], []
            for c in classes:
                doc = await export.summary_sheet_doc(year, c["id"], today)
                if not doc["subjects"]:
                    without.append(c["name"])
                    continue
                sheet_docs.append((c, doc))
            if not sheet_docs:
                raise Refused(f"Год не запечатан: в {year['name']} учебном году нет ни одной итоговой отметки", field="year")
            codes = await issue.unused_codes(len(sheet_docs))
            base = issue.verify_base()
            for (c, doc), code in zip(sheet_docs, codes, strict=True):
                doc["document"] = {"id": f"{year['name']}/{code}", "version": version,
                                   "issued_at": now.isoformat(timespec="seconds"),
                                   "short_code": rules.shown_code(code), "verify_url": f"{base}/v/{code}",
                                   "supersedes": None}
                try:
                    documents.check(doc)
                except documents.DocumentInputError as exc:
                    raise Refused(f"Год не запечатан: сводная ведомость {c['name']} класса не собрана — {exc}") from None

            # 2. the year transcripts, issued anew only where their data changed
            say("выписки за год")
            stale, wanted = await _stale_transcripts(year, classes, today)
            reissued = 0
            issuer = Viewer(user_id=viewer.user_id, login=viewer.login, person_id=viewer.person_id,
                            full_name=viewer.full_name, roles=viewer.roles,
                            permissions=frozenset(viewer.permissions | {"records.issue"}), address=viewer.address)
            if stale:
                done = await issue.do_issue_transcripts(issuer, year_id, class_ids=list(stale),
                                                        students=set().union(*stale.values()), today=today)
                reissued += done.count
            # after the re-issue every pupil's current transcript is made from today's data
            current = await _current_year_transcripts(year_id)
            fresh = [{**current[student], "class": name} for student, name in wanted]

            tmp = Path(tempfile.mkdtemp(prefix=".seal-", dir=root))
            made: list[Path] = []
            try:
                payload = tmp / "data"
                titles: dict[str, str] = {}
                sheets, jobs = [], []
                for (c, doc), code in zip(sheet_docs, codes, strict=True):
                    rel = f"summary/{rules.file_stem(c['name'])}.pdf"
                    jobs.append((doc, str(payload / rel)))
                    sheets.append((c, code, rel, export.content_digest(doc)))
                    titles[rel] = f"Сводная ведомость итоговых отметок {c['name']} класса за {year['name']} учебный год"
                say("сводные ведомости: печать")
                try:
                    written = await loop.run_in_executor(None, lambda: batch.seal_many(
                        jobs, issue.seal_dir(), issue.seal_passphrase_file(), render="summary_sheet"))
                except documents.DocumentInputError as exc:
                    raise Refused(f"Год не запечатан: сводная ведомость не собрана — {exc}") from None
                # the year transcripts as issued (copies of the registered files)
                say("копии выписок")
                for d in fresh:
                    rel = f"transcripts/{rules.file_stem(d['class'])}/{Path(d['file']).name}"
                    target = payload / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(root / d["file"], target)
                    if _sha256(target) != d["sha256"]:
                        raise Refused(f"Файл выписки {d['file']} изменён после выдачи (хеш не совпадает с реестром): "
                                      "проверьте архив документов. Год не запечатан.")
                    titles[rel] = f"Выписка успеваемости за {year['name']} учебный год, {d['class']} (код " \
                                  f"{rules.shown_code(d['short_code'])})"
                say("движение учащихся")
                titles.update(await year_export.write_movement(year, payload))
                say("журналы")
                titles.update(await year_export.write_journals(year, classes, payload, today,
                                                               settings.school.full_name or settings.school.name))
                titles.update(await year_export.write_lesson_logs(year, classes, payload))
                say("журнал аудита")
                start, end = year_export.audit_span(year, await _next_year_start(year), now, settings.tz)
                audit_titles, audit = await year_export.write_audit(year, payload, start, end)
                audit["without_sheets"] = without
                titles.update(audit_titles)

                school = await export.school_with_head(today)
                year_doc = export.year_block(year)

                def inventory(items: list) -> bytes:
                    return documents.render_inventory({
                        "format": "ezh-inventory", "version": 1, "school": school, "year": year_doc,
                        "package": {"name": name, "version": version},
                        "items": [{"path": i.path, "title": i.title, "size": i.size, "sha256": i.sha256} for i in items],
                        "compiled_by": {"position": "Запечатал", "name": meta.sealed_by}})

                say("пакет")
                try:
                    result = await loop.run_in_executor(None, lambda: package.build_package(
                        payload, out, meta=meta, identity=identity, titles=titles, inventory=inventory))
                except package.PackageError as exc:
                    raise Refused(f"Год не запечатан: {exc}") from None
                made += [result.folder, result.tar]
                say("паспорт")
                ca_fp = identity.root.fingerprint(hashes.SHA256()).hex()
                seal_fp = identity.certificate.fingerprint(hashes.SHA256()).hex()
                passport_doc = {
                    "format": "ezh-archive-passport", "version": 1, "school": school, "year": year_doc,
                    "package": {"name": name, "version": version, "sealed_at": now.isoformat(timespec="seconds"),
                                "sealed_by": meta.sealed_by, "root_digest": result.root_digest,
                                "previous_year_digest": meta.previous_year_digest,
                                "supersedes_digest": meta.supersedes_digest, "ca_fingerprint": ca_fp,
                                "seal_fingerprint": seal_fp, "files": result.files, "bytes": result.bytes}}
                signed = await asyncio.to_thread(
                    lambda: pdfsign.sign_pdf(documents.render_passport(passport_doc), identity))
                passport = out / f"{name}-pasport.pdf"
                await asyncio.to_thread(_write_new, passport, signed)
                made.append(passport)
                # summary sheet files: kept beside the documents too, so each code opens its PDF
                sheet_dir = root / "documents" / rules.file_stem(year["name"].replace("/", "-")) / "summary" / f"v{version}"
                sheet_dir.mkdir(parents=True, exist_ok=True)
                for (_c, _code, rel, _content), w in zip(sheets, written, strict=True):
                    target = sheet_dir / Path(rel).name
                    shutil.copyfile(w.path, target)
                    made.append(target)
                sealed_id = await _register(viewer, year, last, result, meta, passport, signed, sheets, written,
                                            sheet_dir, seal_fp, now, reissued, audit)
            except BaseException as exc:
                for path in made:
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)
                if isinstance(exc, OSError):  # a full disk while writing the journals, the passport…
                    raise Refused(f"Год не запечатан: не удалось записать файлы ({exc.strerror or exc}"
                                  f"{'; на диске не хватает места' if exc.errno == errno.ENOSPC else ''}). Прежние "
                                  "пакеты и реестр не изменены.") from None
                raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return Sealed(id=sealed_id, name=name, version=version, root_digest=result.root_digest, folder=result.folder,
                  tar=result.tar, passport=passport, files=result.files, bytes=result.bytes, reissued=reissued,
                  seconds=loop.time() - started, without_sheets=without)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ezh")
    except PackageNotFoundError:
        return "(версия не установлена)"


def _stored(path: Path) -> str:
    """A path as the register keeps it: relative to the archive folder when inside it."""
    try:
        return str(path.resolve().relative_to(issue.archive_dir().resolve()))
    except ValueError:
        return str(path.resolve())


def stored_path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else issue.archive_dir() / path


async def _register(viewer: Viewer, year: dict, last: dict | None, result, meta, passport: Path, signed: bytes,
                    sheets: list, written: list, sheet_dir: Path, seal_fp: str, now: datetime, reissued: int,
                    audit: dict) -> int:
    async with atomic():
        if is_postgres():  # two seals of one year (from two servers) queue here; the second is refused
            await Lesson.raw("SELECT id FROM academic_year WHERE id = {} FOR UPDATE", year["id"]).run()
        again = await latest_seal(year["id"])
        if (again or {}).get("id") != (last or {}).get("id") or (again and again["reopened_at"] is None):
            raise Refused(f"{year['name']} учебный год только что запечатан другим пользователем. Ничего не изменено.")
        sealed_id = (await SealedYear.insert(SealedYear(
            year=year["id"], version=meta.version, name=result.folder.name, root_digest=result.root_digest,
            previous_year_digest=meta.previous_year_digest, supersedes_digest=meta.supersedes_digest,
            folder=_stored(result.folder), tar=_stored(result.tar), files=result.files, size=result.bytes,
            sealed_at=now, sealed_by=viewer.person_id, verified_at=now, verified_ok=True,
            verify_message="проверен при запечатывании")).returning(SealedYear.id).run())[0]["id"]
        old_sheets = await Lesson.raw(
            "SELECT id, school_class FROM issued_document WHERE kind = {} AND year = {} AND superseded_at IS NULL",
            SUMMARY, year["id"]).run()
        old_by_class = {r["school_class"]: r["id"] for r in old_sheets}
        for (c, code, rel, content), w in zip(sheets, written, strict=True):
            row = (await IssuedDocument.insert(IssuedDocument(
                kind=SUMMARY, short_code=code, year=year["id"], school_class=c["id"], version=meta.version,
                title=f"Сводная ведомость итоговых отметок: {c['name']}, {year['name']}"[:200], sha256=w.sha256,
                content_sha256=content, file=_stored(sheet_dir / Path(rel).name), size=w.size,
                certificate=seal_fp, issued_at=now, issued_by=viewer.person_id)).returning(IssuedDocument.id).run())
            if c["id"] in old_by_class:
                await IssuedDocument.update({IssuedDocument.superseded_at: now,
                                             IssuedDocument.superseded_by: row[0]["id"]}).where(
                    IssuedDocument.id == old_by_class[c["id"]]).run()
        passport_code = (await issue.unused_codes(1))[0]
        await IssuedDocument.insert(IssuedDocument(
            kind=PASSPORT, short_code=passport_code, year=year["id"], version=meta.version,
            title=f"Паспорт архива {result.folder.name}: {year['name']}"[:200],
            sha256=hashlib.sha256(signed).hexdigest(), file=_stored(passport), size=len(signed),
            certificate=seal_fp, issued_at=now, issued_by=viewer.person_id)).run()
        closed = year["closed_at"]
        if closed is None:
            await AcademicYear.update({AcademicYear.closed_at: now}).where(AcademicYear.id == year["id"]).run()
        await record(viewer.actor, "records.year_sealed", "academic_year", year["id"],
                     old={"sealed_version": meta.version - 1 if last else None,
                          "closed_at": closed.isoformat() if closed else None},
                     new={"package": result.folder.name, "version": meta.version, "root_digest": result.root_digest,
                          "previous_year_digest": meta.previous_year_digest,
                          "supersedes_digest": meta.supersedes_digest, "files": result.files,
                          "bytes": result.bytes, "transcripts_reissued": reissued,
                          "audit_rows": audit["count"], "audit_head": audit["head_hash"],
                          "classes_without_summary_sheet": audit.get("without_sheets", [])})
    return sealed_id


async def do_reopen_year(viewer: Viewer, year_id: int, reason: str, *, sealed_id: int | None = None,
                         now: datetime | None = None) -> dict:
    """Open a sealed year for corrections (item 7): the latest package stays valid; the year
    becomes editable until it is sealed again as the next version."""
    if not viewer.can("records.seal"):
        raise NotFound()
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN:
        raise Refused(f"Причина: опишите, что нужно исправить и на каком основании (не короче {REASON_MIN} знаков)",
                      field="reason")
    if len(reason) > 1000:
        raise Refused("Причина: не длиннее 1000 знаков", field="reason")
    now = now or datetime.now(get_settings().tz)
    async with atomic():
        if is_postgres():
            await Lesson.raw("SELECT id FROM academic_year WHERE id = {} FOR UPDATE", year_id).run()
        year = await _year(year_id)
        last = await latest_seal(year_id)
        if last is None:
            raise Refused(f"{year['name']} учебный год не запечатан: открывать нечего", field="year")
        if sealed_id is not None and sealed_id != last["id"]:
            raise Refused(f"Открыть для исправления можно только последнюю версию пакета {year['name']} "
                          f"({last['name']})", field="year")
        if last["reopened_at"] is not None:
            raise Refused(f"{year['name']} учебный год уже открыт для исправления (причина: «{last['reopen_reason']}»)",
                          field="year")
        await SealedYear.update({SealedYear.reopened_at: now, SealedYear.reopen_reason: reason}).where(
            SealedYear.id == last["id"]).run()
        await AcademicYear.update({AcademicYear.closed_at: None}).where(AcademicYear.id == year_id).run()
        await record(viewer.actor, "records.year_reopened", "academic_year", year_id,
                     old={"closed_at": year["closed_at"].isoformat() if year["closed_at"] else None,
                          "package": last["name"]},
                     new={"closed_at": None, "next_version": last["version"] + 1}, reason=reason)
    return {"year": year["name"], "package": last["name"], "next_version": last["version"] + 1}


async def do_verify_sealed(viewer: Viewer, sealed_id: int, *, now: datetime | None = None) -> dict:
    """«Проверить сейчас» (item 9): the package folder and tar checked in full by the checker
    the package carries, against the school's CA; the result is kept and audited."""
    from archive import keys, package_verify

    if not viewer.can("archive.view"):
        raise NotFound()
    rows = await Lesson.raw("SELECT * FROM sealed_year WHERE id = {}", sealed_id).run()
    if not rows:
        raise NotFound()
    row = rows[0]
    verdict = await asyncio.to_thread(check_package, row, keys, package_verify)
    now = now or datetime.now(get_settings().tz)
    async with atomic():
        await SealedYear.update({SealedYear.verified_at: now, SealedYear.verified_ok: verdict["ok"],
                                 SealedYear.verify_message: verdict["message"]}).where(
            SealedYear.id == sealed_id).run()
        await record(viewer.actor, "records.package_verified", "sealed_year", sealed_id,
                     new={"package": row["name"], "ok": verdict["ok"], "message": verdict["message"]})
    return {**verdict, "name": row["name"]}


def check_package(row: dict, keys, package_verify) -> dict:
    """Folder and tar of a registered package, sealed under one of the school's CAs, with the
    root digest of the register and the passport (pure; runs in a thread)."""
    try:
        known = {package_verify.fingerprint(c.public_bytes(Encoding.DER)) for c in keys.trust_roots(issue.seal_dir())}
    except keys.KeyStoreError:
        known = None
    problems = []
    for label, value in (("папка", row["folder"]), ("tar", row["tar"])):
        path = stored_path(value)
        if not path.exists():
            problems.append(f"{label}: {path} не найден")
            continue
        verdict = package_verify.verify_package(path)
        if not verdict.ok:
            problems.append(f"{label}: {verdict.problems[0]}")
        elif verdict.root_digest != row["root_digest"]:
            problems.append(f"{label}: корневой отпечаток {verdict.root_digest[:16]}… не тот, что в реестре и "
                            f"паспорте ({row['root_digest'][:16]}…)")
        elif known is not None and verdict.ca_fingerprint not in known:
            problems.append(f"{label}: заверен не корневым сертификатом школы")
    if problems:
        return {"ok": False, "message": "; ".join(problems)}
    return {"ok": True, "message": "папка и tar целы, печать верна, отпечаток совпадает с паспортом"}

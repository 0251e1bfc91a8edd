"""Retention (issue 12 item 8; 001 section 10): a journal's detailed data — the lessons, their
topics and homework, grades, attendance, notes and correction requests — are kept for
``[backup] journal_years`` (5) years after the year ends; then the archivist removes them with
`ezh archive purge`. Nothing is ever removed by itself.

Only a year whose latest sealed package holds those data (journals, lesson logs) and checks
whole *now* — folder and tar, against the register's root digest — is purged; the finals, the
orders, the summary sheets, the packages and the audit log are never touched (the packages are
kept 25 years and more; the log is a hash chain). `--dry-run` changes nothing: it lists what
would go and writes the draft «акт о выделении к уничтожению» to sign. The real run needs the
act's number, removes everything in one transaction (one audit row with the counts), then the
homework files nobody else uses, and writes the «акт об уничтожении персональных данных» with
the event-log extract (152-ФЗ), sealed and registered."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes

from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic, is_postgres
from service.errors import NotFound, Refused
from service.records import export, issue, rules, seal
from service.records.signatures import write_atomically
from service.records.tables import IssuedDocument
from service.settings import get_settings
from service.timetable.tables import Lesson

ACT = "act"
BASIS = ("раздела 10 «Хранение информации» Порядка использования электронного журнала: срок хранения "
         "журналов — {n} лет, сводные ведомости успеваемости и перевода обучающихся хранятся не менее 25 лет")
# what goes, child tables first; each selects the rows of the year's lessons (the lesson ids
# are bound by a subquery on the year's dates)
_LESSONS = "SELECT id FROM lesson WHERE on_date >= {} AND on_date <= {}"
TABLES = (
    ("correction", "lesson", "запросы на исправление"),
    ("homework_file", "lesson", "файлы домашних заданий"),
    ("homework_individual", "lesson", "индивидуальные домашние задания"),
    ("lesson_entry", "lesson", "темы и домашние задания уроков"),
    ("attendance", "lesson", "отметки посещаемости"),
    ("grade", "lesson", "текущие отметки"),
)


@dataclass
class Plan:
    year: dict
    package: dict
    counts: dict[str, int] = field(default_factory=dict)  # table → rows
    pupils: int = 0
    classes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def due(year: dict, today: date, years: int) -> date:
    """The first day the year's journals may be removed: ``years`` after its last day."""
    end = year["ends_on"]
    try:
        return end.replace(year=end.year + years)
    except ValueError:  # 29 February
        return end.replace(year=end.year + years, day=28)


async def plan(year_id: int, today: date) -> Plan:
    """What a purge of this year would remove, or a Russian refusal saying why it may not."""
    years = get_settings().backup.journal_years
    rows = await Lesson.raw("SELECT id, name, starts_on, ends_on, closed_at FROM academic_year WHERE id = {}",
                            year_id).run()
    if not rows:
        raise NotFound()
    year = rows[0]
    when = due(year, today, years)
    if today < when:
        raise Refused(f"Журналы {year['name']} учебного года хранятся {years} лет после его конца: удалять их можно "
                      f"с {when:%d.%m.%Y}", field="year")
    last = await seal.latest_seal(year_id)
    if last is None or last["reopened_at"] is not None:
        raise Refused(f"{year['name']} учебный год не запечатан" + (" (открыт для исправления)" if last else "")
                      + ": удаляются только данные, которые лежат в проверенном запечатанном пакете. Сначала "
                        "запечатайте год.", field="year")
    out = Plan(year=year, package=last)
    span = (year["starts_on"], year["ends_on"])
    for table, column, _ in TABLES:
        n = await Lesson.raw(f"SELECT COUNT(*) AS n FROM {table} WHERE {column} IN ({_LESSONS})", *span).run()
        out.counts[table] = int(n[0]["n"])
    out.counts["absence_note"] = int((await Lesson.raw(
        "SELECT COUNT(*) AS n FROM absence_note WHERE starts_on >= {} AND ends_on <= {}", *span).run())[0]["n"])
    out.counts["lesson"] = int((await Lesson.raw(
        "SELECT COUNT(*) AS n FROM lesson WHERE on_date >= {} AND on_date <= {}", *span).run())[0]["n"])
    out.pupils = int((await Lesson.raw(
        f"SELECT COUNT(DISTINCT student) AS n FROM (SELECT student FROM grade WHERE lesson IN ({_LESSONS}) "
        f"UNION SELECT student FROM attendance WHERE lesson IN ({_LESSONS})) x", *span, *span).run())[0]["n"])
    out.classes = [r["name"] for r in await Lesson.raw(
        "SELECT name FROM school_class WHERE year = {} ORDER BY grade, letter, name", year_id).run()]
    return out


def _person(text: str, what: str) -> dict:
    position, _, name = (text or "").partition(":")
    if not position.strip() or not name.strip():
        raise Refused(f"{what}: укажите «Должность: Фамилия И. О.», например «Заместитель директора: Орлова Г. П.»",
                      field="commission")
    return {"position": " ".join(position.split())[:100], "name": " ".join(name.split())[:100]}


def _act(p: Plan, *, number: str, on: date, chair: dict, members: list[dict], personal: dict | None,
         log: list[dict] | None, school: dict) -> dict:
    years = get_settings().backup.journal_years
    span = f"{p.year['starts_on'].year}–{p.year['ends_on'].year}"
    item = {"title": f"Электронные классные журналы ({', '.join(p.classes[:40])}) за {p.year['name']} учебный год: "
                     f"уроки, темы и домашние задания, текущие отметки, посещаемость"[:300],
            "dates": span, "count": max(1, len(p.classes)), "retention": f"{years} лет",
            "note": f"сводные ведомости, движение учащихся и журналы за год хранятся в запечатанном пакете "
                    f"{p.package['name']} (контрольная сумма {p.package['root_digest'][:16]}…)"[:300]}
    doc = {"format": "ezh-destruction-act", "version": 1, "kind": "personal_data" if personal else "documents",
           "school": school, "act": {"number": number, "date": on.isoformat()},
           "basis": [BASIS.format(n=years)], "items": [item],
           "commission": {"chair": chair, "members": members}}
    if personal:
        doc["personal_data"] = personal
        doc["log"] = log
    return doc


async def _write_act(doc: dict, name: str) -> tuple[Path, bytes, str]:
    """The act as a sealed PDF/A under the archive's ``acts/``; the file, its bytes, the seal's
    fingerprint."""
    from archive import documents, keys, pdfsign

    try:
        identity = keys.load_identity(issue.seal_dir(), passphrase_file=issue.seal_passphrase_file())
    except keys.KeyStoreError as exc:
        raise Refused(f"{exc}. Ничего не удалено.") from None
    try:
        pdf = await asyncio.to_thread(lambda: pdfsign.sign_pdf(documents.render_destruction_act(doc), identity))
    except documents.DocumentInputError as exc:
        raise Refused(f"Акт не составлен: {exc}. Ничего не удалено.") from None
    folder = issue.archive_dir() / "acts"
    target = folder / name
    await asyncio.to_thread(write_atomically, target, pdf)
    return target, pdf, identity.certificate.fingerprint(hashes.SHA256()).hex()


async def do_purge(viewer: Viewer, year_id: int, *, act_number: str, chair: str, members: list[str],
                   dry_run: bool, today: date | None = None, now: datetime | None = None) -> dict:
    """``dry_run``: what would go and the draft act to sign (nothing changed). Otherwise the
    removal itself (the package is checked in full first) and the act of destruction."""
    if not viewer.can("records.purge"):
        raise NotFound()
    settings = get_settings()
    now = now or datetime.now(settings.tz)
    today = today or now.date()
    number = " ".join((act_number or "").split())
    if not number or len(number) > 40:
        raise Refused("Номер акта: укажите номер (не длиннее 40 знаков)", field="act_number")
    commission_chair = _person(chair, "Председатель комиссии")
    commission = [_person(m, "Член комиссии") for m in members]
    if not commission:
        raise Refused("Члены комиссии: укажите хотя бы одного («Должность: Фамилия И. О.»)", field="commission")
    school = await export.school_with_head(today)
    if "head" not in school:
        raise Refused("Не указан директор школы (EZH_SCHOOL_HEAD): он утверждает акт", field="commission")
    p = await plan(year_id, today)
    stem = rules.file_stem("akt", number, p.year["name"].replace("/", "-"))
    if dry_run:
        doc = _act(p, number=number, on=today, chair=commission_chair, members=commission, personal=None, log=None,
                   school=school)
        path, _, _ = await _write_act(doc, f"{stem}-proekt.pdf")
        return {"plan": p, "act": path, "removed": False}

    from archive import keys, package_verify

    verdict = await asyncio.to_thread(seal.check_package, p.package, keys, package_verify)
    if not verdict["ok"]:
        raise Refused(f"Пакет {p.package['name']} не прошёл проверку ({verdict['message']}): пока он не цел, данные "
                      "не удаляются. Восстановите пакет из резервной копии. Ничего не удалено.")
    span = (p.year["starts_on"], p.year["ends_on"])
    async with atomic():
        if is_postgres():  # two purges of one year queue; the second finds nothing left
            await Lesson.raw("SELECT id FROM academic_year WHERE id = {} FOR UPDATE", year_id).run()
        again = await plan(year_id, today)
        files = await Lesson.raw(f"SELECT DISTINCT sha256 FROM homework_file WHERE lesson IN ({_LESSONS})",
                                 *span).run()
        for table, column, _ in TABLES:
            await Lesson.raw(f"DELETE FROM {table} WHERE {column} IN ({_LESSONS})", *span).run()
        await Lesson.raw("DELETE FROM absence_note WHERE starts_on >= {} AND ends_on <= {}", *span).run()
        await Lesson.raw("DELETE FROM lesson WHERE on_date >= {} AND on_date <= {}", *span).run()
        seq = await record(viewer.actor, "records.purged", "academic_year", year_id,
                           old={"rows": again.counts, "pupils": again.pupils},
                           new={"package": p.package["name"], "root_digest": p.package["root_digest"],
                                "act_number": number, "check": verdict["message"]},
                           reason=f"истёк срок хранения журналов ({settings.backup.journal_years} лет); акт № {number}")
    shas = [f["sha256"] for f in files]
    gone = await _remove_unused_files(shas)
    log = [{"at": now.isoformat(timespec="seconds"),
            "event": f"Удалены подробные данные журналов {p.year['name']} учебного года: {again.total} записей "
                     f"({', '.join(f'{k} {v}' for k, v in again.counts.items() if v)}); запись журнала аудита № {seq}",
            "who": viewer.full_name or viewer.login}]
    if gone:
        log.append({"at": datetime.now(settings.tz).isoformat(timespec="seconds"),
                    "event": f"Удалены файлы домашних заданий: {gone}", "who": viewer.full_name or viewer.login})
    personal = {"subjects": f"обучающиеся {p.year['name']} учебного года, сведения о которых содержались в журналах "
                            f"({again.pupils} человек)",
                "categories": ["фамилия, имя, отчество (в записях журнала)", "текущие отметки", "посещаемость",
                               "индивидуальные домашние задания"],
                "system": f"Электронный журнал ezh на сервере школы ({settings.school.name})",
                "method": "удаление записей из базы данных и файлов с сервера",
                "reason": "истечение срока хранения", "destroyed_on": today.isoformat()}
    doc = _act(again, number=number, on=today, chair=commission_chair, members=commission, personal=personal,
               log=log, school=school)
    path, pdf, fingerprint = await _write_act(doc, f"{stem}.pdf")
    code = (await issue.unused_codes(1))[0]
    title = f"Акт № {number} об уничтожении персональных данных: журналы {p.year['name']}"[:200]
    digest = hashlib.sha256(pdf).hexdigest()
    async with atomic():
        act = (await IssuedDocument.insert(IssuedDocument(
            kind=ACT, short_code=code, year=year_id, version=1, title=title,
            sha256=digest, file=str(path.relative_to(issue.archive_dir())), size=len(pdf),
            certificate=fingerprint, issued_at=now, issued_by=viewer.person_id)).returning(IssuedDocument.id).run())
        await record(viewer.actor, "records.act_registered", "issued_document", act[0]["id"],
                     new={"title": title, "short_code": code, "sha256": digest, "purge_audit_row": seq})
    return {"plan": again, "act": path, "removed": True, "files": gone}


async def _remove_unused_files(shas: list[str]) -> int:
    """Homework files no remaining row uses. Files are stored once per content and shared with
    other lessons and with message attachments (service/journal/files.py): a file still named
    by any of them stays."""
    from service.journal.files import path_of

    if not shas:
        return 0
    marks = ", ".join("{}" for _ in shas)
    used = {r["sha256"] for r in await Lesson.raw(
        f"SELECT sha256 FROM homework_file WHERE sha256 IN ({marks}) "
        f"UNION SELECT sha256 FROM message_file WHERE sha256 IN ({marks})", *shas, *shas).run()}
    gone = 0
    for sha in shas:
        if sha in used:
            continue
        path = path_of(sha)
        if path.is_file():
            await asyncio.to_thread(path.unlink)
            gone += 1
    return gone

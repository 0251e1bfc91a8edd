"""Issuing transcripts (issue 12 item 3, 5; R-ARC-4): the export of a class's pupils, rendered as
PDF/A, sealed with the system's seal on every core, written under the archive folder and
entered in the register — one audit row per batch.

A batch runs alone on the server (a lock file next to the documents): versions and short codes
are decided before rendering, because they are printed on the documents. Files are written to a
temporary folder and moved into place only when the whole batch is sealed; if the register's
transaction then fails, the moved files are removed again — a failed batch leaves nothing.

Re-issuing a pupil's transcript of the same period makes a new version; the old one is marked
superseded and still verifies."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes

from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic
from service.errors import NotFound, Refused
from service.records import export, rules
from service.records.tables import IssuedDocument
from service.settings import get_settings
from service.timetable.tables import Lesson

KIND = "transcript"


@dataclass
class Issued:
    """What a batch made: documents per class, pupils left out for having no finals."""

    documents: list[dict] = field(default_factory=list)  # id, short_code, student, file, version, title
    skipped: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # to a class of the year out of the batch's scope
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.documents)


def archive_dir() -> Path:
    return get_settings().backup_path("packages_dir")


def seal_dir() -> Path:
    return get_settings().key_dir / "school"


def seal_passphrase_file() -> Path | None:
    """The seal key's passphrase file when configured; none: the key store's own default
    (``<seal folder>/passphrase``)."""
    value = get_settings().paths.seal_passphrase_file
    return value if str(value) not in ("", ".") else None


def verify_base() -> str:
    server = get_settings().server
    return server.public_url.rstrip("/") or f"http://{server.host}:{server.port}"


BUSY = ("Выписки уже выпускаются (другим пользователем или командой): дождитесь окончания и повторите. "
        "Ничего не выпущено.")


@contextmanager
def alone(folder: Path, lock: str = ".issue.lock", busy: str = BUSY) -> Iterator[None]:
    """One batch (or seal) at a time on this server: a lock file in ``folder``; a second one is
    refused with ``busy`` (flock: released by the kernel if the holder dies)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / lock, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Refused(busy) from None
        yield
    finally:
        os.close(fd)


async def scope_classes(viewer: Viewer, year_id: int, class_ids: list[int] | None, grade: int | None) -> list[dict]:
    """The classes of the year the viewer may issue for, narrowed to ``class_ids`` or a grade.
    A class they may not issue for is «not found» (its id tells nothing)."""
    rows = await Lesson.raw(
        "SELECT id, name, grade, class_teacher FROM school_class WHERE year = {} ORDER BY grade, letter, name",
        year_id).run()
    if not viewer.can("records.issue"):
        if not viewer.can("records.issue_own") or viewer.person_id is None:
            raise NotFound()
        rows = [r for r in rows if r["class_teacher"] == viewer.person_id]
    if class_ids is not None:
        known = {r["id"] for r in rows}
        if any(c not in known for c in class_ids):
            raise NotFound()
        rows = [r for r in rows if r["id"] in set(class_ids)]
    if grade is not None:
        rows = [r for r in rows if r["grade"] == grade]
    if not rows:
        raise Refused("Нет классов, для которых можно выпустить выписки", field="class")
    return rows


async def _year_and_period(year_id: int, period_id: int | None) -> tuple[dict, dict | None]:
    years = await Lesson.raw("SELECT id, name, starts_on, ends_on, closed_at FROM academic_year WHERE id = {}",
                             year_id).run()
    if not years:
        raise NotFound()
    period = None
    if period_id is not None:
        found = await Lesson.raw("SELECT id, name, number, grade_from, grade_to, starts_on, ends_on FROM study_period "
                                 "WHERE id = {} AND year = {}", period_id, year_id).run()
        if not found:
            raise NotFound()
        period = found[0]
    return years[0], period


def _title(doc: dict) -> str:
    who = f"{doc['student']['surname']} {doc['student']['name']}"
    what = doc["period"]["name"] if doc.get("period") else "учебный год"
    return f"Выписка успеваемости: {who}, {doc['student']['class']}, {what} {doc['year']['name']}"[:200]


async def _current_versions(year_id: int, period_id: int | None, students: list[int]) -> dict[int, dict]:
    if not students:
        return {}
    marks = ", ".join("{}" for _ in students)
    period_sql = "period = {}" if period_id is not None else "period IS NULL"
    args = [year_id, *([period_id] if period_id is not None else []), *students]
    rows = await Lesson.raw(
        f"SELECT id, student, version, short_code, content_sha256, file, sha256 FROM issued_document "
        f"WHERE kind = '{KIND}' AND year = {{}} "
        f"AND {period_sql} AND superseded_at IS NULL AND student IN ({marks})", *args).run()
    return {r["student"]: r for r in rows}


async def unused_codes(n: int, taken: set[str] = frozenset()) -> list[str]:
    """``n`` new short codes, none in the register nor in ``taken`` (chosen earlier in a batch)."""
    codes: set[str] = set()
    while len(codes) < n:
        want = [c for c in (rules.new_short_code() for _ in range(n - len(codes))) if c not in taken]
        if not want:
            continue
        marks = ", ".join("{}" for _ in want)
        used = {r["short_code"] for r in await Lesson.raw(
            f"SELECT short_code FROM issued_document WHERE short_code IN ({marks})", *want).run()}
        codes.update(c for c in want if c not in used)
    return sorted(codes)


async def do_issue_transcripts(viewer: Viewer, year_id: int, *, period_id: int | None = None,
                               class_ids: list[int] | None = None, grade: int | None = None,
                               students: set[int] | None = None, today: date | None = None,
                               now: datetime | None = None,
                               progress: Callable[[int, int], None] | None = None) -> Issued:
    """Issue the transcripts of a period (or the year) for the classes in scope. Refusals in
    Russian: no seal key (or an expired one), nobody with finals, another batch running."""
    from archive import batch, keys

    started = asyncio.get_running_loop().time()
    year, period = await _year_and_period(year_id, period_id)
    classes = await scope_classes(viewer, year_id, class_ids, grade)
    today = today or datetime.now(get_settings().tz).date()
    now = now or datetime.now(get_settings().tz)
    try:
        identity = keys.load_identity(seal_dir(), passphrase_file=seal_passphrase_file())
    except keys.KeyStoreError as exc:
        raise Refused(str(exc)) from None
    fingerprint = identity.certificate.fingerprint(hashes.SHA256()).hex()
    result = Issued()
    root = archive_dir()
    loop = asyncio.get_running_loop()
    with alone(root):
        tmp = Path(tempfile.mkdtemp(prefix=".issue-", dir=root))
        try:
            # each class's documents go to the workers as soon as they are made: the cores render
            # while the next classes are read (their versions and codes are decided here first,
            # since they are printed on the documents)
            stream = batch.Stream(seal_dir(), seal_passphrase_file(), progress=progress)
            try:
                plan = await _prepare(stream, tmp, year, period, classes, today, now, students, result)
                written = await loop.run_in_executor(None, stream.finish)
            finally:  # off the event loop: a worker still rendering is waited for
                await loop.run_in_executor(None, stream.close)
            moved: list[Path] = []
            try:
                for _, _, _, relative, _, _ in plan:
                    target = root / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(tmp / relative, target)
                    moved.append(target)
                result.documents = await _register(viewer, year, period, plan, written, fingerprint, now)
            except BaseException:
                for path in moved:
                    path.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise Refused(f"Выписки не выпущены: не удалось записать файлы ({exc.strerror or exc}). "
                          "Ничего не выпущено, прежние выписки не тронуты.") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = asyncio.get_running_loop().time() - started
    return result


async def _prepare(stream, tmp: Path, year: dict, period: dict | None, classes: list[dict], today: date,
                   now: datetime, students: set[int] | None, result: Issued) -> list[tuple]:
    """Export the classes one by one and hand each one's documents to ``stream``; the plan of
    what is issued (pupil, code, version, file, the version it supersedes, content digest).
    Nobody with finals: refused before anything is rendered."""
    plan: list[tuple] = []
    taken: set[str] = set()
    moved_out: list[tuple[int, str]] = []
    base = verify_base()
    folder = Path("documents") / rules.file_stem(year["name"].replace("/", "-"))
    what = f"p{period['number']}" if period else "god"
    for c in classes:
        try:
            pupils, skipped, moved = await export.class_transcripts(year, c["id"], period, today, students)
        except export.ExportError as exc:
            if len(classes) == 1:
                raise Refused(str(exc), field="period") from None
            continue  # a period of other grades (quarters vs halves): not this class's
        result.skipped += [f"{n} ({c['name']})" for n in skipped]
        moved_out += moved
        if not pupils:
            continue
        current = await _current_versions(year["id"], period["id"] if period else None, [p.student for p in pupils])
        codes = await unused_codes(len(pupils), taken)
        taken.update(codes)
        jobs = []
        for pupil, code in zip(pupils, codes, strict=True):
            old = current.get(pupil.student)
            version = old["version"] + 1 if old else 1
            content = export.content_digest(pupil.doc)
            pupil.doc["document"] = {
                "id": f"{year['name']}/{code}", "short_code": rules.shown_code(code), "version": version,
                "issued_at": now.isoformat(timespec="seconds"), "verify_url": f"{base}/v/{code}",
                "supersedes": rules.shown_code(old["short_code"]) if old else None}
            name = rules.file_stem(pupil.doc["student"]["surname"], pupil.doc["student"]["name"], what,
                                   f"v{version}", code)
            relative = folder / rules.file_stem(pupil.class_name) / f"{name}.pdf"
            jobs.append((pupil.doc, str(tmp / relative)))
            plan.append((pupil, code, version, relative, old, content))
        stream.add(jobs)
    issued_to = {p.student for p, *_ in plan}
    result.moved = [text for student, text in moved_out if student not in issued_to]
    if not plan:
        raise Refused("Выписки не выпущены: ни у одного ученика нет итоговых отметок за "
                      + (period["name"] if period else "этот учебный год")
                      + (". Без отметок: " + ", ".join(result.skipped[:20]) if result.skipped else "")
                      + (". Переведены в другой класс (выписку выпускает их новый класс): "
                         + ", ".join(result.moved[:20]) if result.moved else ""))
    return plan


# rows of the register written by one statement (PostgreSQL takes at most 32,767 parameters)
REGISTER_ROWS = 500


async def _register(viewer: Viewer, year: dict, period: dict | None, plan: list, written: list,
                    fingerprint: str, now: datetime) -> list[dict]:
    """The batch in the register, its superseded versions marked, one audit row: one
    transaction, a statement per ``REGISTER_ROWS`` documents."""
    rows = [IssuedDocument(
        kind=KIND, short_code=code, year=year["id"], period=period["id"] if period else None,
        student=pupil.student, school_class=pupil.class_id, version=version, title=_title(pupil.doc),
        sha256=w.sha256, content_sha256=content, file=str(relative), size=w.size, certificate=fingerprint,
        issued_at=now, issued_by=viewer.person_id)
        for (pupil, code, version, relative, _old, content), w in zip(plan, written, strict=True)]
    async with atomic():
        ids: dict[str, int] = {}
        for i in range(0, len(rows), REGISTER_ROWS):
            for r in await IssuedDocument.insert(*rows[i:i + REGISTER_ROWS]).returning(
                    IssuedDocument.id, IssuedDocument.short_code).run():
                ids[r["short_code"]] = r["id"]
        replaced = [(old["id"], ids[code]) for _, code, _, _, old, _ in plan if old]
        for i in range(0, len(replaced), REGISTER_ROWS):
            part = replaced[i:i + REGISTER_ROWS]
            cases = " ".join("WHEN {} THEN CAST({} AS INTEGER)" for _ in part)
            marks = ", ".join("{}" for _ in part)
            await IssuedDocument.raw(
                f"UPDATE issued_document SET superseded_at = {{}}, superseded_by = CASE id {cases} END "
                f"WHERE id IN ({marks})", now, *[x for pair in part for x in pair], *[old for old, _ in part]).run()
        classes = sorted({p.class_name for p, *_ in plan})
        await record(viewer.actor, "records.transcripts_issued", "year", year["id"],
                     new={"period": period["name"] if period else "год", "classes": classes, "count": len(rows),
                          "versions_after_correction": len(replaced)})
    return [{"id": ids[code], "short_code": code, "student": pupil.student, "file": str(relative),
             "version": version, "title": _title(pupil.doc), "class": pupil.class_name}
            for pupil, code, version, relative, _old, _content in plan]

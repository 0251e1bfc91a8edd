"""Reads of the archive's pages, scoped by the viewer: the deputy head and the archivist see
every issued document, a class teacher those of her classes; anything else is «not found»."""

from __future__ import annotations

from service.accounts.viewer import Viewer
from service.errors import NotFound
from service.records import rules
from service.records.issue import seal_dir
from service.school.tables import AcademicYear
from service.timetable.tables import Lesson

RECENT = 100

_DOCS_SQL = """
SELECT d.id, d.short_code, d.version, d.title, d.issued_at, d.superseded_at, d.size, d.file,
       c.name AS class_name, c.class_teacher AS class_teacher,
       (SELECT COUNT(*) FROM attached_signature g WHERE g.document = d.id) AS signatures
FROM issued_document d
LEFT JOIN school_class c ON c.id = d.school_class
WHERE %s
ORDER BY d.issued_at DESC, d.id DESC
LIMIT %d
"""


_SEALED_SQL = """
SELECT s.*, y.name AS year_name, p.last_name, p.first_name, p.middle_name,
       (SELECT d.file FROM issued_document d WHERE d.kind = 'passport' AND d.year = s.year AND d.version = s.version
        ORDER BY d.id DESC LIMIT 1) AS passport_file
FROM sealed_year s JOIN academic_year y ON y.id = s.year LEFT JOIN person p ON p.id = s.sealed_by
WHERE %s
ORDER BY y.starts_on DESC, s.version DESC
"""


def _sees_all(viewer: Viewer) -> bool:
    return viewer.can("archive.view") or viewer.can("records.issue")


def _scope(viewer: Viewer) -> tuple[str, list]:
    if _sees_all(viewer):
        return "1 = 1", []
    if viewer.person_id is None:
        return "1 = 0", []
    return "c.class_teacher = {}", [viewer.person_id]


async def year_name(year_id: int) -> str | None:
    """A year's name («2025/2026»), not secret: shown on a job's banner."""
    row = await AcademicYear.select(AcademicYear.name).where(AcademicYear.id == year_id).first().run()
    return row["name"] if row else None


async def seal_state() -> dict:
    """The seal's certificate as the page shows it, or why there is none."""
    from archive import keys

    try:
        return {"ok": True, **keys.describe(seal_dir())}
    except keys.KeyStoreError as exc:
        return {"ok": False, "message": str(exc)}


async def archive_page(viewer: Viewer, code: str | None = None) -> dict:
    """The archive page's data; with ``code`` (a document's short code, as printed) the list of
    documents holds that document only (if the viewer may see it), not the latest ones."""
    where, args = _scope(viewer)
    if code is not None:
        where, args = f"d.short_code = {{}} AND {where}", [code, *args]
    docs = await Lesson.raw(_DOCS_SQL % (where, RECENT), *args).run()
    for d in docs:
        d["code"] = rules.shown_code(d["short_code"])
    if docs and viewer.can("archive.view"):
        from service.records.signatures import listed_for_documents

        signed = await listed_for_documents([d["id"] for d in docs])
        for d in docs:
            d["attached"] = signed.get(d["id"], [])
    years = await Lesson.raw("SELECT id, name, is_current, closed_at FROM academic_year ORDER BY starts_on DESC").run()
    periods = await Lesson.raw("SELECT id, year, name, grade_from, grade_to FROM study_period "
                               "ORDER BY starts_on, grade_from").run()
    classes = await Lesson.raw("SELECT c.id, c.year, c.name FROM school_class c WHERE "
                               + ("1 = 1" if viewer.can("records.issue") else "c.class_teacher = {}")
                               + " ORDER BY c.grade, c.letter, c.name",
                               *([] if viewer.can("records.issue") else [viewer.person_id or 0])).run()
    sealed = await Lesson.raw(_SEALED_SQL % "1 = 1").run() if viewer.can("archive.view") else []
    if sealed:
        from service.records.signatures import listed

        signed = await listed([s["id"] for s in sealed])
        for s in sealed:
            s["signatures"] = signed.get(s["id"], [])
        # WeasyPrint is behind this module: imported only when there is something to show
        from archive.documents import human_size

        for s in sealed:
            s["size_text"] = human_size(s["size"])
    reopened = {s["year"] for s in sealed if s["reopened_at"] is not None}
    latest: dict[int, dict] = {}
    for s in sealed:
        latest.setdefault(s["year"], s)
    sealable = [y for y in years if viewer.can("records.seal") and (
        (y["closed_at"] is not None and y["id"] not in latest) or
        (y["id"] in latest and latest[y["id"]]["reopened_at"] is not None))]
    return {"documents": docs, "years": years, "periods": periods, "classes": classes, "sealed": sealed,
            "night_check": night_check() if sealed else None,
            "sealable": sealable, "reopened": reopened, "latest": {s["id"] for s in latest.values()},
            "may_seal": viewer.can("records.seal"),
            "may_attach": viewer.can("archive.view"),
            "seal": await seal_state(),
            "may_issue": viewer.can("records.issue") or viewer.can("records.issue_own")}


def night_check() -> dict | None:
    """The last full check of every package on disk (the night's maintenance or `ezh archive
    verify`): when, whether all were whole, what it said."""
    from backups.state import last_step
    from service.records.commands import ARCHIVE_KIND
    from service.settings import get_settings

    found = last_step(get_settings().backup_path("state_dir"), "archive", kinds=("maintenance", ARCHIVE_KIND))
    if found is None:
        return None
    run, step = found
    return {"at": run.finished_at, "ok": step.get("status") == "ok", "message": step.get("message", "")}


async def signature(viewer: Viewer, signature_id: int) -> dict:
    if not viewer.can("archive.view") or not 0 < signature_id <= 2**31 - 1:
        raise NotFound()
    rows = await Lesson.raw("SELECT id, filename, file FROM attached_signature WHERE id = {}", signature_id).run()
    if not rows:
        raise NotFound()
    return rows[0]


async def sealed(viewer: Viewer, sealed_id: int) -> dict:
    """One sealed package for the archivist and the deputy head; «not found» for anyone else."""
    if not viewer.can("archive.view") or not 0 < sealed_id <= 2**31 - 1:
        raise NotFound()
    rows = await Lesson.raw(_SEALED_SQL % "s.id = {}", sealed_id).run()
    if not rows:
        raise NotFound()
    return rows[0]


async def document(viewer: Viewer, doc_id: int) -> dict:
    where, args = _scope(viewer)
    rows = await Lesson.raw(_DOCS_SQL % (f"d.id = {{}} AND {where}", 1), doc_id, *args).run()
    if not rows:
        raise NotFound()
    return rows[0]

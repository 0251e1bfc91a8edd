"""Reads of the archive's pages, scoped by the viewer: the deputy head and the archivist see
every issued document, a class teacher those of her classes; anything else is «not found»."""

from __future__ import annotations

from service.accounts.viewer import Viewer
from service.errors import NotFound
from service.records import rules
from service.records.issue import seal_dir
from service.timetable.tables import Lesson

RECENT = 100

_DOCS_SQL = """
SELECT d.id, d.short_code, d.version, d.title, d.issued_at, d.superseded_at, d.size, d.file,
       c.name AS class_name, c.class_teacher AS class_teacher
FROM issued_document d
LEFT JOIN school_class c ON c.id = d.school_class
WHERE %s
ORDER BY d.issued_at DESC, d.id DESC
LIMIT %d
"""


def _sees_all(viewer: Viewer) -> bool:
    return viewer.can("archive.view") or viewer.can("records.issue")


def _scope(viewer: Viewer) -> tuple[str, list]:
    if _sees_all(viewer):
        return "1 = 1", []
    if viewer.person_id is None:
        return "1 = 0", []
    return "c.class_teacher = {}", [viewer.person_id]


async def seal_state() -> dict:
    """The seal's certificate as the page shows it, or why there is none."""
    from archive import keys

    try:
        return {"ok": True, **keys.describe(seal_dir())}
    except keys.KeyStoreError as exc:
        return {"ok": False, "message": str(exc)}


async def archive_page(viewer: Viewer) -> dict:
    where, args = _scope(viewer)
    docs = await Lesson.raw(_DOCS_SQL % (where, RECENT), *args).run()
    for d in docs:
        d["code"] = rules.shown_code(d["short_code"])
    years = await Lesson.raw("SELECT id, name, is_current, closed_at FROM academic_year ORDER BY starts_on DESC").run()
    periods = await Lesson.raw("SELECT id, year, name, grade_from, grade_to FROM study_period "
                               "ORDER BY starts_on, grade_from").run()
    classes = await Lesson.raw("SELECT c.id, c.year, c.name FROM school_class c WHERE "
                               + ("1 = 1" if viewer.can("records.issue") else "c.class_teacher = {}")
                               + " ORDER BY c.grade, c.letter, c.name",
                               *([] if viewer.can("records.issue") else [viewer.person_id or 0])).run()
    sealed = await Lesson.raw(
        "SELECT s.id, s.version, s.name, s.root_digest, s.files, s.size, s.sealed_at, s.verified_at, "
        "s.verified_ok, y.name AS year_name FROM sealed_year s JOIN academic_year y ON y.id = s.year "
        "ORDER BY y.starts_on DESC, s.version DESC").run() if viewer.can("archive.view") else []
    return {"documents": docs, "years": years, "periods": periods, "classes": classes, "sealed": sealed,
            "seal": await seal_state(),
            "may_issue": viewer.can("records.issue") or viewer.can("records.issue_own")}


async def document(viewer: Viewer, doc_id: int) -> dict:
    where, args = _scope(viewer)
    rows = await Lesson.raw(_DOCS_SQL % (f"d.id = {{}} AND {where}", 1), doc_id, *args).run()
    if not rows:
        raise NotFound()
    return rows[0]

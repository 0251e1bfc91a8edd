"""Deciding corrections (R-GRADE-4): approving applies the change as asked, rejecting keeps
the entry; a second decision is refused; a cell changed since the request is a conflict that
leaves the correction pending; only the deputy head decides."""

from datetime import date

import pytest

from service.audit.tables import AuditEvent
from service.errors import Refused
from service.journal import cells, corrections
from service.journal.tables import Correction, Grade, JournalSetting
from tests.journal.factories import journal_school
from tests.journal.test_finals import deputy, teacher

pytestmark = pytest.mark.anyio


async def _pending(s, typed="4"):
    await JournalSetting.insert(JournalSetting(year=s.t.year, approval_required=True, plans_due=date(2026, 9, 10),
                                               updated_at=cells.access.now())).run()
    saved = await cells.do_save_cell(teacher(s), s.lessons[date(2026, 11, 6)], s.people["pupil1"], typed,
                                     reason="Ответ у доски не был выставлен")
    assert saved.state == "pending"
    return saved.correction


async def test_rejecting_keeps_the_cell_and_tells_the_teacher(db):
    s = await journal_school()
    cid = await _pending(s)
    assert await corrections.do_decide_correction(deputy(s), cid, False, "Нет подтверждения") == "rejected"
    assert await Grade.count().run() == 0
    mine = await corrections.mine(teacher(s))
    assert [(c["id"], c["status_name"], c["decision_note"]) for c in mine] == [
        (cid, "отклонено", "Нет подтверждения")]
    assert await corrections.pending() == []
    rows = await AuditEvent.select().where(AuditEvent.action == "journal.correction_rejected").run()
    assert len(rows) == 1 and rows[0]["reason"] == "Ответ у доски не был выставлен"


async def test_approving_applies_the_cell_and_a_second_decision_is_refused(db):
    s = await journal_school()
    cid = await _pending(s)
    listed = await corrections.pending()
    assert listed[0]["where"].startswith("5А · Математика, урок 06.11.2026")
    assert await corrections.do_decide_correction(deputy(s), cid, True) == "approved"
    assert [g["mark"] for g in await Grade.select().run()] == ["4"]
    with pytest.raises(Refused, match="уже рассмотрено"):
        await corrections.do_decide_correction(deputy(s), cid, True)


async def test_a_conflict_leaves_the_correction_pending(db):
    s = await journal_school()
    cid = await _pending(s)
    await cells.do_save_cell(deputy(s), s.lessons[date(2026, 11, 6)], s.people["pupil1"], "3",
                             reason="Исправлено завучем")
    with pytest.raises(Refused, match="осталось в ожидании"):
        await corrections.do_decide_correction(deputy(s), cid, True)
    assert (await Correction.select().where(Correction.id == cid).first().run())["status"] == "pending"


async def test_only_the_deputy_decides(db):
    s = await journal_school()
    cid = await _pending(s)
    with pytest.raises(Refused, match="утверждает заместитель"):
        await corrections.do_decide_correction(teacher(s), cid, True)

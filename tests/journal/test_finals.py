"""Finals (R-GRADE-2, R-GRADE-5, R-GRADE-4, R-GRADE-6, 004 items 3–4): the suggestion from the
weighted average, what a teacher confirms, what is refused, forecasts and finals for families
by their visibility dates, overdue finals, closing and reopening periods."""

from datetime import date
from decimal import Decimal

import pytest

from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.errors import NotFound, Refused
from service.journal import access, cells, final_queries, finals
from service.journal.tables import Correction, FinalGrade, JournalSetting, PeriodClosing
from tests.journal.factories import journal_school

pytestmark = pytest.mark.anyio


def teacher(s, key="uchitel", *rights) -> Viewer:
    return Viewer(s.users.get(key, 1), key, s.people[key], key, ("teacher",),
                  frozenset({"journal.teach", *rights}))


def deputy(s) -> Viewer:
    return Viewer(s.users["admin"], "admin", s.people["admin"], "admin", ("deputy",),
                  frozenset({"journal.approve", "journal.view", "journal.edit"}))


async def grades(s, marks: dict[date, str], who="pupil1"):
    for day, typed in marks.items():
        await cells.do_save_cell(teacher(s), s.lessons[day], s.people[who], typed)


async def audit_count() -> int:
    return await AuditEvent.count().run()


async def test_the_sheet_suggests_the_final_from_the_weighted_average(db):
    """R-GRADE-5: 5, 4, 4 → 4,33 → «4»; a rule rounding from 0,3 suggests «5»."""
    s = await journal_school()
    await grades(s, {date(2026, 11, 18): "5", date(2026, 11, 20): "4", date(2026, 11, 23): "4"})
    info = await access.journal(s.math)
    data = await final_queries.sheet(s.math, info, access.school_today())
    row = next(r for r in data["students"] if r["id"] == s.people["pupil1"])
    cell = next(c for c in row["cells"] if c["period"]["id"] == s.periods[2])
    assert (cell["average"], cell["suggested"], cell["final"]) == (Decimal("4.33"), "4", None)
    assert data["current"]["id"] == s.periods[2]
    await JournalSetting.insert(JournalSetting(year=s.t.year, round_from=Decimal("0.3"), plans_due=date(2026, 9, 10),
                                               updated_at=access.now())).run()
    data = await final_queries.sheet(s.math, info, access.school_today())
    row = next(r for r in data["students"] if r["id"] == s.people["pupil1"])
    assert next(c for c in row["cells"] if c["period"]["id"] == s.periods[2])["suggested"] == "5"


async def test_a_teacher_confirms_a_final_and_bad_marks_are_refused(db):
    """R-GRADE-2: a mark of the journal's system, «н/а» or «осв.»; «6» and a pupil of another
    class are refused and change nothing; the final keeps the suggestion and average."""
    s = await journal_school()
    await grades(s, {date(2026, 11, 18): "5", date(2026, 11, 20): "4"})
    p1, p3 = s.people["pupil1"], s.people["pupil3"]
    before = await audit_count()
    with pytest.raises(Refused, match="не отметка системы «Пятибалльная»"):
        await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "6")
    with pytest.raises(Refused, match="не учился"):
        await finals.do_save_final(teacher(s), s.math, p3, "period", s.periods[2], "5")
    with pytest.raises(Refused, match="учебный период"):
        await finals.do_save_final(teacher(s), s.math, p1, "period", 999999, "5")
    assert await audit_count() == before and await FinalGrade.count().run() == 0
    saved = await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "5", version=0)
    assert (saved.state, saved.mark, saved.version) == ("saved", "5", 1)
    row = await FinalGrade.select().first().run()
    assert (row["mark"], row["suggested"], Decimal(str(row["average"]))) == ("5", "5", Decimal("4.50"))
    saved = await finals.do_save_final(teacher(s), s.math, s.people["pupil2"], "period", s.periods[2], "н/а")
    assert saved.mark == "н/а"
    assert (await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "5")).state == "same"
    event = await AuditEvent.select().where(AuditEvent.action == "journal.final_saved").first().run()
    assert '"mark":"5"' in event["new"]


async def test_the_later_of_two_writers_sees_the_conflict(db):
    """R-GRADE-4: two teachers confirming one final: the later one is refused."""
    s = await journal_school()
    p1 = s.people["pupil1"]
    await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "4", version=0)
    with pytest.raises(cells.Conflict, match="сейчас «4»"):
        await finals.do_save_final(teacher(s, "klruk"), s.math, p1, "period", s.periods[2], "5", version=0)
    assert (await FinalGrade.select(FinalGrade.mark).first().run())["mark"] == "4"


async def test_who_may_write_finals(db):
    """R-SEC-3: a teacher of another journal sees nothing (404); a viewer without writing
    rights is refused."""
    s = await journal_school()
    with pytest.raises(NotFound):
        await finals.do_save_final(teacher(s, "other"), s.math, s.people["pupil1"], "period", s.periods[2], "5")
    viewer = Viewer(s.users["admin"], "admin", s.people["admin"], "admin", ("admin",),
                    frozenset({"journal.view"}))
    with pytest.raises(Refused, match="выставляет учитель"):
        await finals.do_save_final(viewer, s.math, s.people["pupil1"], "period", s.periods[2], "5")


async def test_confirm_suggested_confirms_every_suggestion_without_a_final(db):
    """R-GRADE-5: one button confirms the suggestions; a final already set stays; one audit
    row per final; the year final is suggested from the period finals."""
    s = await journal_school()
    await grades(s, {date(2026, 11, 18): "5", date(2026, 11, 20): "3"})
    await grades(s, {date(2026, 11, 18): "4"}, who="pupil2")
    await finals.do_save_final(teacher(s), s.math, s.people["pupil2"], "period", s.periods[2], "5")
    before = await audit_count()
    n = await finals.do_confirm_suggested(teacher(s), s.math, s.periods[2])
    assert n == 1 and await audit_count() == before + 1
    marks = {r["student"]: r["mark"] for r in await FinalGrade.select().run()}
    assert marks == {s.people["pupil1"]: "4", s.people["pupil2"]: "5"}
    assert await finals.do_confirm_suggested(teacher(s), s.math, s.periods[2]) == 0
    n = await finals.do_confirm_suggested(teacher(s), s.math, None, kind="year")
    assert n == 2
    year = {r["student"]: r["mark"] for r in await FinalGrade.select().where(FinalGrade.kind == "year").run()}
    assert year == {s.people["pupil1"]: "4", s.people["pupil2"]: "5"}


async def test_a_closed_period_needs_a_reason_or_an_approval(db):
    """R-GRADE-4: after closing, a final changes with a reason; with the approval setting it
    becomes a correction the deputy approves (applied) — a second decision is refused."""
    s = await journal_school()
    p1 = s.people["pupil1"]
    await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "4")
    await finals.do_save_final(teacher(s), s.math, s.people["pupil2"], "period", s.periods[2], "4")
    await finals.do_close_period(deputy(s), s.periods[2], "Английский ведётся отдельно", force=True)
    with pytest.raises(cells.NeedReason) as caught:
        await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "5")
    assert caught.value.need == "reason"
    saved = await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "5", reason="Пересдал")
    assert saved.state == "saved"
    await JournalSetting.insert(JournalSetting(year=s.t.year, approval_required=True, plans_due=date(2026, 9, 10),
                                               updated_at=access.now())).run()
    with pytest.raises(cells.NeedReason) as caught:
        await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "4")
    assert caught.value.need == "approval"
    saved = await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "4", reason="Ошибка")
    assert (saved.state, saved.mark) == ("pending", "5")
    with pytest.raises(Refused, match="уже ждёт утверждения"):
        await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "3", reason="Ещё")
    from service.journal import corrections

    c = await Correction.select().first().run()
    assert (c["target"], c["old_text"], c["new_text"]) == ("final", "5", "4")
    assert await corrections.do_decide_correction(deputy(s), c["id"], True, "Согласовано") == "approved"
    final = await FinalGrade.select().where(FinalGrade.student == p1).first().run()
    assert final["mark"] == "4"
    with pytest.raises(Refused, match="уже рассмотрено"):
        await corrections.do_decide_correction(deputy(s), c["id"], False)


async def test_closing_refuses_while_finals_are_missing_and_reopening_needs_a_reason(db):
    """004 item 6 / R-GRADE-4: closing with missing finals needs «закрыть всё равно» and a
    reason; reopening needs a reason; both are audited."""
    s = await journal_school()
    d = deputy(s)
    with pytest.raises(Refused, match=r"Не выставлены итоговые отметки: 3 \(2 журнала\)"):
        await finals.do_close_period(d, s.periods[2])
    with pytest.raises(Refused, match="Укажите причину"):
        await finals.do_close_period(d, s.periods[2], force=True)
    with pytest.raises(Refused, match="заместитель директора"):
        await finals.do_close_period(teacher(s), s.periods[2], "x", force=True)
    await finals.do_close_period(d, s.periods[2], "Ученики на длительном лечении", force=True)
    with pytest.raises(Refused, match="уже закрыт"):
        await finals.do_close_period(d, s.periods[2], "x", force=True)
    with pytest.raises(Refused, match="причину"):
        await finals.do_reopen_period(d, s.periods[2], "")
    await finals.do_reopen_period(d, s.periods[2], "Исправление по жалобе")
    assert (await PeriodClosing.select().first().run())["reopened_at"] is not None
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.object_type == "study_period").order_by(AuditEvent.seq).run()]
    assert actions == ["journal.period_closed", "journal.period_reopened"]


async def test_overdue_finals_name_the_journal_and_its_teacher(db):
    """004 items 4, 6: from the finals date on, a journal with a pupil lacking a period final is
    overdue, with its teacher; confirming the finals clears it."""
    s = await journal_school()
    year = await final_queries.year_of(date(2026, 12, 27))
    assert [o for o in await final_queries.missing_finals(year, date(2026, 12, 26))
            if o["period"]["id"] == s.periods[2]] == []
    due = [o for o in await final_queries.missing_finals(year, date(2026, 12, 27))
           if o["period"]["id"] == s.periods[2]]
    titles = {o["title"]: o for o in due}
    assert "5А · Математика" in titles and titles["5А · Математика"]["missing"] == 2
    assert "5А англ. 1 · Английский язык" in titles
    mine = await final_queries.missing_finals(year, date(2026, 12, 27), teacher=s.people["other"])
    assert {o["title"] for o in mine if o["period"]["id"] == s.periods[2]} == {"5А англ. 1 · Английский язык"}
    for who in ("pupil1", "pupil2"):
        await finals.do_save_final(teacher(s), s.math, s.people[who], "period", s.periods[2], "4")
    due = [o for o in await final_queries.missing_finals(year, date(2026, 12, 27))
           if o["period"]["id"] == s.periods[2]]
    assert "5А · Математика" not in {o["title"] for o in due}


async def test_families_see_the_forecast_and_finals_from_their_dates(db):
    """R-GRADE-6, 004 items 3–4: the forecast from 14 days before the end, the final from 2
    days before (or once the period is closed)."""
    s = await journal_school()
    p1 = s.people["pupil1"]
    await grades(s, {date(2026, 11, 18): "5", date(2026, 11, 20): "5"})
    await finals.do_save_final(teacher(s), s.math, p1, "period", s.periods[2], "5")

    def maths(view):
        j = next(v for v in view if v["subject"] == "Математика")
        return next(p for p in j["periods"] if p["id"] == s.periods[2])

    early = maths(await final_queries.family_view(p1, date(2026, 12, 14)))
    assert (early["forecast"], early["final"], early["forecast_from"]) == (None, None, date(2026, 12, 15))
    forecast = maths(await final_queries.family_view(p1, date(2026, 12, 15)))
    assert (forecast["forecast"], forecast["final"]) == ("5", None)
    final = maths(await final_queries.family_view(p1, date(2026, 12, 27)))
    assert final["final"] == "5"
    await finals.do_close_period(deputy(s), s.periods[2], "Все итоговые выставлены", force=True)
    assert maths(await final_queries.family_view(p1, date(2026, 12, 1)))["final"] == "5"
    english = await final_queries.family_view(p1, date(2026, 12, 1))
    assert any(v["subject"] == "Английский язык" for v in english)

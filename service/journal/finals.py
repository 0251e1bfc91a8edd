"""Finals (R-GRADE-2, R-GRADE-5, R-GRADE-4): a teacher confirms a student's period, year, exam,
project or practice result; the deputy head closes and reopens periods. Every rule is here: the
mark is of the journal's grading system or «н/а»/«осв.», the student belonged to the journal in
the period, the writer teaches the journal (or may edit any), the year is open, nobody changed
the final since the writer saw it (``version``), and a closed period takes a change only with a
reason or — where the school asks — as a correction awaiting a deputy head."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from service import forms, text
from service.accounts.viewer import Viewer
from service.audit.log import record, record_many
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.journal import access, final_queries, rules
from service.journal.access import JournalRef
from service.journal.cells import Conflict, NeedReason, check_reason
from service.journal.tables import Correction, FinalGrade, PeriodClosing
from service.timetable.tables import Lesson

NOTE_MAX = 300


@dataclass
class FinalSaved:
    """What a save did: ``state`` "saved", "same" or "pending" (a correction awaits approval)."""

    mark: str
    state: str
    version: int = 0
    correction: int | None = None


async def _journal(viewer: Viewer, ref: JournalRef) -> dict:
    info = await access.journal(ref)
    if not await access.may_view(viewer, info):
        raise NotFound()
    return info


async def may_write_finals(viewer: Viewer, ref: JournalRef) -> bool:
    if viewer.can("journal.edit"):
        return True
    return (viewer.person_id is not None and viewer.can("journal.teach")
            and await access.teaches(viewer.person_id, ref))


async def _check_writer(viewer: Viewer, ref: JournalRef, info: dict) -> None:
    if not await may_write_finals(viewer, ref):
        raise Refused("Итоговые отметки выставляет учитель, ведущий этот журнал")
    if info["closed_at"] is not None:
        raise Refused(f"Учебный год {info['year_name']} закрыт: его журнал только для чтения")


def _final_key(ref: JournalRef, student: int, kind: str, period: int | None) -> str:
    return f"{ref.key}:{student}:{kind}:{period or ''}"


async def _period(info: dict, kind: str, period_id: int | None) -> tuple[dict | None, list[dict]]:
    """The period of a period final (``NotFound``-free: a wrong id is refused) and all periods."""
    periods = await access.periods(info["year"], info["grade"] or 1)
    if kind not in rules.FINAL_KINDS:
        raise Refused("Неизвестный вид итоговой отметки", field="kind")
    if kind != "period":
        return None, periods
    period = next((p for p in periods if p["id"] == period_id), None)
    if period is None:
        raise Refused("Выберите учебный период этого журнала", field="period")
    return period, periods


def _closed(kind: str, period: dict | None, periods: list[dict]) -> bool:
    """A period final is closed with its period; the year's results with the last period."""
    if kind == "period":
        return bool(period and period["closed"])
    return bool(periods and periods[-1]["closed"])


async def _existing(ref: JournalRef, info: dict, student: int, kind: str, period: int | None) -> dict | None:
    column = "school_class" if ref.kind == "c" else "study_group"
    pcond = "period = {}" if period is not None else "period IS NULL"
    rows = await Lesson.raw(
        f"SELECT * FROM final_grade WHERE year = {{}} AND student = {{}} AND subject = {{}} AND {column} = {{}} "
        f"AND kind = {{}} AND {pcond}", info["year"], student, ref.subject, ref.owner, kind,
        *([period] if period is not None else [])).run()
    return rows[0] if rows else None


async def _suggestion(ref: JournalRef, info: dict, student: int, kind: str, period: dict | None,
                      periods: list[dict], system: rules.System, settings: access.Settings):
    """The average and the suggested final at this moment (none for exam/project/practice)."""
    if kind == "period":
        grades = await final_queries.journal_grades(ref, period["starts_on"], period["ends_on"], student)
        avg = final_queries.period_average(grades, student, period)
        return avg, rules.suggest_final(avg, system, settings.round_from)
    if kind == "year":
        column = "school_class" if ref.kind == "c" else "study_group"
        rows = await Lesson.raw(
            f"SELECT value FROM final_grade WHERE year = {{}} AND student = {{}} AND subject = {{}} "
            f"AND {column} = {{}} AND kind = 'period'", info["year"], student, ref.subject, ref.owner).run()
        return final_queries.year_suggestion([final_queries.dec(r["value"]) for r in rows], system,
                                             settings.round_from)
    return None, ""


def _mark(system: rules.System, typed: str) -> tuple[str, object]:
    text = (typed or "").strip()
    if not text:
        raise Refused("Итоговая отметка: выберите или введите отметку", field="mark")
    low = text.lower().replace(" ", "")
    for special in rules.SPECIAL_FINALS:
        if low in (special, special.rstrip("."), special.replace("/", "")):
            return special, None
    try:
        return system.mark(text)
    except Refused as exc:
        raise Refused(exc.message + " (или «н/а», «осв.»)", field="mark") from None


async def do_save_final(viewer: Viewer, ref: JournalRef, student: int, kind: str, period_id: int | None,
                        mark: str, note: str = "", reason: str = "", *, version: int | None = None) -> FinalSaved:
    """Confirm or change one final. ``version``: the final's version the writer saw (0: there
    was none; None: do not check)."""
    reason = check_reason(reason)
    note = forms.value(forms.Text("Примечание", NOTE_MAX), note or "", "note")
    async with atomic():
        info = await _journal(viewer, ref)
        await _check_writer(viewer, ref, info)
        period, periods = await _period(info, kind, period_id)
        return await _write(viewer, ref, info, student, kind, period, periods, mark, note, reason,
                            version=version)


async def _write(viewer: Viewer, ref: JournalRef, info: dict, student: int, kind: str, period: dict | None,
                 periods: list[dict], typed: str, note: str, reason: str, *, version: int | None,
                 correction: dict | None = None) -> FinalSaved:
    start = period["starts_on"] if period else info["year_starts"]
    end = period["ends_on"] if period else info["year_ends"]
    spans = await access.members(ref, start, end)
    if not spans.get(student):
        raise Refused("Ученик не учился в этом классе или группе в этот период: итоговая отметка "
                      "не выставляется", field="student")
    system = await access.system_for(info["year"], info["grade"] or 1, ref.subject, info["group_kind"])
    if system.kind == "none":
        raise Refused(f"В этом журнале отметки не ставятся ({system.name})", field="mark")
    mark, value = _mark(system, typed)
    period_id = period["id"] if period else None
    await xact_lock(f"final:{info['year']}:{student}:{ref.key}:{kind}:{period_id}")
    old = await _existing(ref, info, student, kind, period_id)
    current = old["version"] if old else 0
    if correction is not None:
        if (old["mark"] if old else "") != correction["old_text"]:
            raise Conflict(f"Итоговую отметку уже изменили: сейчас «{old['mark'] if old else 'нет'}»; "
                           "исправление не внесено", old["mark"] if old else "")
    elif version is not None and version != current:
        raise Conflict(f"Итоговую отметку уже изменили: сейчас «{old['mark'] if old else 'нет'}». "
                       "Ваша отметка не сохранена — проверьте и выставьте снова", old["mark"] if old else "")
    if old and old["mark"] == mark and (old["note"] or "") == note:
        return FinalSaved(mark, "same", current)
    s = await access.settings(info["year"])
    if _closed(kind, period, periods) and correction is None:
        approval = s.approval_required and not viewer.can("journal.approve")
        if not reason:
            raise NeedReason("Период закрыт: для исправления итоговой отметки укажите причину"
                             + (" — исправление уйдёт на утверждение заместителю директора" if approval else ""),
                             "approval" if approval else "reason")
        if approval:
            return await _ask(viewer, ref, info, student, kind, period_id, old, mark, note, reason)
    avg, suggested = await _suggestion(ref, info, student, kind, period, periods, system, s)
    now = access.now()
    key = _final_key(ref, student, kind, period_id)
    if old is None:
        await FinalGrade.insert(FinalGrade(
            year=info["year"], student=student, subject=ref.subject, school_class=ref.school_class,
            study_group=ref.study_group, kind=kind, period=period_id, system=system.id, mark=mark,
            value=value, suggested=suggested, average=avg, note=note, confirmed_at=now,
            confirmed_by=viewer.person_id, version=1)).run()
        new_version = 1
    else:
        new_version = current + 1
        await FinalGrade.update({
            FinalGrade.mark: mark, FinalGrade.value: value, FinalGrade.system: system.id,
            FinalGrade.suggested: suggested, FinalGrade.average: avg, FinalGrade.note: note,
            FinalGrade.confirmed_at: now, FinalGrade.confirmed_by: viewer.person_id,
            FinalGrade.version: new_version}).where(FinalGrade.id == old["id"]).run()
    new = {"mark": mark, "suggested": suggested, "average": str(avg) if avg is not None else None,
           "kind": kind, "period": period_id}
    if note:
        new["note"] = note
    if correction is not None:
        new["correction"] = correction["id"]
    await record(viewer.actor, "journal.final_saved", "final", key,
                 old={"mark": old["mark"]} if old else None, new=new, reason=reason)
    return FinalSaved(mark, "saved", new_version)


async def _ask(viewer: Viewer, ref: JournalRef, info: dict, student: int, kind: str, period_id: int | None,
               old: dict | None, mark: str, note: str, reason: str) -> FinalSaved:
    column = "school_class" if ref.kind == "c" else "study_group"
    pending = await Lesson.raw(
        "SELECT id, payload FROM correction WHERE target = 'final' AND student = {} AND status = 'pending'",
        student).run()
    for p in pending:
        want = json.loads(p["payload"] or "{}")
        if (want.get("ref"), want.get("kind"), want.get("period")) == (ref.key, kind, period_id):
            raise Refused(f"Исправление этой итоговой отметки (№ {p['id']}) уже ждёт утверждения", field="mark")
    payload = {"ref": ref.key, "student": student, "kind": kind, "period": period_id, "mark": mark,
               "note": note, column: ref.owner}
    old_text = old["mark"] if old else ""
    row = (await Correction.insert(Correction(
        target="final", student=student, final=old["id"] if old else None, field=kind,
        old_text=old_text, new_text=mark, payload=json.dumps(payload, ensure_ascii=False), reason=reason,
        requested_at=access.now(), requested_by=viewer.person_id)).returning(Correction.id).run())[0]["id"]
    await record(viewer.actor, "journal.correction_asked", "final", _final_key(ref, student, kind, period_id),
                 old={"mark": old_text}, new={"mark": mark, "correction": row}, reason=reason)
    return FinalSaved(old_text, "pending", old["version"] if old else 0, row)


async def apply_final_correction(approver: Viewer, correction: dict) -> FinalSaved:
    """Inside the approving transaction: write an approved final as asked, if it still holds
    what it held when asked (otherwise ``Conflict``)."""
    want = json.loads(correction["payload"])
    ref = access.parse_ref(want["ref"])
    info = await access.journal(ref)
    if info["closed_at"] is not None:
        raise Refused(f"Учебный год {info['year_name']} закрыт: его журнал только для чтения")
    period, periods = await _period(info, want["kind"], want["period"])
    return await _write(approver, ref, info, want["student"], want["kind"], period, periods, want["mark"],
                        want.get("note", ""), correction["reason"], version=None, correction=correction)


async def do_confirm_suggested(viewer: Viewer, ref: JournalRef, period_id: int | None, *,
                               kind: str = "period") -> int:
    """Confirm every suggested final of the period (or the year) that has no final yet, in one
    transaction, one audit row per final. Returns how many were confirmed."""
    if kind not in ("period", "year"):
        raise Refused("Подтвердить предложенные можно за период или за год", field="kind")
    async with atomic():
        info = await _journal(viewer, ref)
        await _check_writer(viewer, ref, info)
        period, periods = await _period(info, kind, period_id)
        if _closed(kind, period, periods):
            raise Refused("Период закрыт: итоговые отметки исправляются по одной, с причиной")
        await xact_lock(f"finals:{info['year']}:{ref.key}")
        data = await final_queries.sheet(ref, info, access.school_today())
        system = data["system"]
        if system.kind == "none":
            raise Refused(f"В этом журнале отметки не ставятся ({system.name})")
        now = access.now()
        rows, entries = [], []
        for st in data["students"]:
            if kind == "period":
                cell = next(c for c in st["cells"] if c["period"]["id"] == period["id"])
                if not cell["belongs"] or cell["final"] is not None or not cell["suggested"]:
                    continue
                avg, suggested = cell["average"], cell["suggested"]
            else:
                if st["year"]["final"] is not None or not st["year"]["suggested"]:
                    continue
                avg, suggested = st["year"]["average"], st["year"]["suggested"]
            mark, value = system.mark(suggested)
            pid = period["id"] if period else None
            rows.append(FinalGrade(
                year=info["year"], student=st["id"], subject=ref.subject, school_class=ref.school_class,
                study_group=ref.study_group, kind=kind, period=pid, system=system.id, mark=mark, value=value,
                suggested=suggested, average=avg, confirmed_at=now, confirmed_by=viewer.person_id, version=1))
            entries.append(("final", _final_key(ref, st["id"], kind, pid), None,
                            {"mark": mark, "suggested": suggested, "average": str(avg) if avg is not None else None,
                             "kind": kind, "period": pid}))
        if rows:
            await FinalGrade.insert(*rows).run()
            await record_many(viewer.actor, "journal.final_saved", entries)
        return len(rows)


# --- closing periods ------------------------------------------------------------------------


async def _period_row(period_id: int) -> dict:
    if not 0 < period_id <= 2**31 - 1:
        raise NotFound()
    rows = await Lesson.raw(
        "SELECT p.*, y.closed_at AS year_closed_at, y.name AS year_name, y.starts_on AS year_starts, "
        "y.ends_on AS year_ends FROM study_period p JOIN academic_year y ON y.id = p.year WHERE p.id = {}",
        period_id).run()
    if not rows:
        raise NotFound()
    return rows[0]


async def do_close_period(viewer: Viewer, period_id: int, reason: str = "", *, force: bool = False) -> int:
    """Close a period: its grades and finals then change only as corrections. Refused while
    finals are missing unless ``force`` («закрыть всё равно») with a reason. Returns the
    closing's id."""
    reason = check_reason(reason)
    if not viewer.can("journal.approve"):
        raise Refused("Закрывать периоды может заместитель директора (право «утверждать исправления»)")
    async with atomic():
        p = await _period_row(period_id)
        if p["year_closed_at"] is not None:
            raise Refused(f"Учебный год {p['year_name']} закрыт")
        await xact_lock(f"period:{period_id}")
        if await Lesson.raw("SELECT 1 FROM period_closing WHERE period = {} AND reopened_at IS NULL",
                            period_id).run():
            raise Refused(f"Период «{p['name']}» уже закрыт")
        year = {"id": p["year"], "starts_on": p["year_starts"], "ends_on": p["year_ends"]}
        missing = await final_queries.missing_finals(year, access.school_today(), period_id=period_id,
                                                     due_only=False)
        count = sum(m["missing"] for m in missing)
        if missing and not force:
            raise Refused(f"Не выставлены итоговые отметки: {count} "
                          f"({text.count(len(missing), 'журнал', 'журнала', 'журналов')}) — закройте "
                          "после их выставления или отметьте «закрыть всё равно» и укажите причину",
                          field="force")
        if missing and not reason:
            raise Refused("Укажите причину, по которой период закрывается без части итоговых отметок",
                          field="reason")
        row = (await PeriodClosing.insert(PeriodClosing(
            period=period_id, closed_at=access.now(), closed_by=viewer.person_id, reason=reason))
            .returning(PeriodClosing.id).run())[0]["id"]
        await record(viewer.actor, "journal.period_closed", "study_period", period_id,
                     new={"period": p["name"], "missing_finals": count}, reason=reason)
        return row


async def do_reopen_period(viewer: Viewer, period_id: int, reason: str) -> None:
    """Open a closed period again (a reason is required)."""
    reason = check_reason(reason)
    if not viewer.can("journal.approve"):
        raise Refused("Открывать периоды может заместитель директора (право «утверждать исправления»)")
    if not reason:
        raise Refused("Укажите причину, по которой период открывается снова", field="reason")
    async with atomic():
        p = await _period_row(period_id)
        if p["year_closed_at"] is not None:
            raise Refused(f"Учебный год {p['year_name']} закрыт")
        await xact_lock(f"period:{period_id}")
        rows = await Lesson.raw("SELECT id FROM period_closing WHERE period = {} AND reopened_at IS NULL",
                                period_id).run()
        if not rows:
            raise Refused(f"Период «{p['name']}» не закрыт")
        await PeriodClosing.update({PeriodClosing.reopened_at: access.now(),
                                    PeriodClosing.reopened_by: viewer.person_id}).where(
            PeriodClosing.id == rows[0]["id"]).run()
        await record(viewer.actor, "journal.period_reopened", "study_period", period_id,
                     old={"closed": True}, new={"period": p["name"], "closed": False}, reason=reason)


def visible_dates(ends_on: date, s: access.Settings) -> tuple[date, date]:
    return rules.forecast_from(ends_on, s.forecast_days), rules.finals_from(ends_on, s.finals_days)

"""The school's journal rules (R-GRADE-4, R-GRADE-5, R-GRADE-6, 004 items 3–4): every limit
refused in Russian naming the field, nothing written; saved rules take effect (the grading
system of a journal, the rounding of finals); every change audited."""

from datetime import date
from decimal import Decimal

import pytest

from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.errors import Refused
from service.journal import access, cells, setup
from service.journal.tables import GradeConversion, GradingSystem, JournalSetting, WorkKind
from tests.journal.factories import journal_school

pytestmark = pytest.mark.anyio

GOOD = {"edit_days": 5, "approval_required": True, "forecast_days": 21, "finals_days": 3, "grades_due_days": 2,
        "homework_due_hours": 24, "plans_due": date(2026, 9, 15), "round_from": "0,6", "file_max_kb": 2048}


def admin(s) -> Viewer:
    return Viewer(s.users["admin"], "admin", s.people["admin"], "admin", ("admin",),
                  frozenset({"journal.settings", "journal.view"}))


async def audit(action: str) -> list[dict]:
    return await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq).run()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("edit_days", 400, "от 0 до 365"),
    ("edit_days", -1, "от 0 до 365"),
    ("forecast_days", 10, "не позднее чем за 14 дней"),
    ("finals_days", 1, "не позднее чем за 2 дня"),
    ("round_from", "0,95", "от 0,10 до 0,90"),
    ("round_from", "половина", "введите число"),
    ("file_max_kb", 60000, "от 100 до 51200"),
    ("plans_due", date(2027, 9, 10), "дата учебного года"),
    ("grades_due_days", None, "целое число"),
])
async def test_every_limit_is_refused_naming_the_field(db, field, value, message):
    """R-GRADE-6 / 004 items 3–4: the visibility minimums and every other limit."""
    s = await journal_school()
    with pytest.raises(Refused, match=message) as caught:
        await setup.do_save_settings(admin(s), s.t.year, {**GOOD, field: value})
    assert caught.value.field == field
    assert await JournalSetting.count().run() == 0 and await audit("journal.settings_changed") == []


async def test_saving_upserts_and_takes_effect(db):
    """R-GRADE-5: a saved rounding changes the suggestion; the change is audited old → new;
    saving the same again writes nothing."""
    s = await journal_school()
    assert (await access.settings(s.t.year)).round_from == Decimal("0.5")
    await setup.do_save_settings(admin(s), s.t.year, GOOD)
    got = await access.settings(s.t.year)
    assert (got.round_from, got.forecast_days, got.approval_required, got.plans_due) == (
        Decimal("0.60"), 21, True, date(2026, 9, 15))
    await setup.do_save_settings(admin(s), s.t.year, {**GOOD, "edit_days": 10})
    await setup.do_save_settings(admin(s), s.t.year, {**GOOD, "edit_days": 10})
    assert await JournalSetting.count().run() == 1
    rows = await audit("journal.settings_changed")
    assert len(rows) == 2 and rows[1]["old"] == '{"edit_days":5}' and rows[1]["new"] == '{"edit_days":10}'
    teacher = Viewer(s.users["uchitel"], "uchitel", s.people["uchitel"], "uchitel", ("teacher",),
                     frozenset({"journal.teach"}))
    with pytest.raises(Refused, match="Правила журнала меняет"):
        await setup.do_save_settings(teacher, s.t.year, GOOD)


async def test_a_new_system_and_a_rule_choose_the_journal_s_marks(db):
    """R-GRADE-3/5: a school's own «marks» system, chosen by a rule for a subject, is what the
    journal accepts; its marks' values feed the average."""
    s = await journal_school()
    sid = await setup.do_save_system(admin(s), None, "Уровни освоения", "marks", marks=setup.parse_marks(
        "в; высокий; да; 5\nс; средний; да; 4\nн0; не освоено; нет; 2"))
    await setup.do_save_rule(admin(s), None, s.t.year, sid, s.math.subject, 5, 5)
    system = await access.system_for(s.t.year, 5, s.math.subject, None)
    assert system.name == "Уровни освоения"
    teacher = Viewer(s.users["uchitel"], "uchitel", s.people["uchitel"], "uchitel", ("teacher",),
                     frozenset({"journal.teach"}))
    saved = await cells.do_save_cell(teacher, s.lessons[date(2026, 11, 23)], s.people["pupil1"], "в")
    assert saved.text == "в"
    with pytest.raises(Refused, match="уже выставлены и не могут быть убраны"):
        await setup.do_save_system(admin(s), sid, "Уровни освоения", "marks",
                                   marks=setup.parse_marks("с; средний; да; 4"))
    await setup.do_save_system(admin(s), sid, "Уровни освоения ФГОС", "marks",
                               marks=setup.parse_marks("в; высокий; да; 5\nс; средний; да; 4\nпв; повышенный; да; 4,5"))
    assert len((await access.systems())[sid].marks) == 3
    five = await GradingSystem.select(GradingSystem.id).where(GradingSystem.code == "5").first().run()
    with pytest.raises(Refused, match="встроенная"):
        await setup.do_save_system(admin(s), five["id"], "Пятёрочная", "scale", low=1, high=5, pass_from=3)
    assert len(await audit("journal.system_saved")) == 2
    assert len(await audit("journal.rule_saved")) == 1


@pytest.mark.parametrize(("kwargs", "message", "field"), [
    ({"name": "", "kind": "scale", "low": 1, "high": 12, "pass_from": 4}, "заполните поле", "name"),
    ({"name": "Двенадцать", "kind": "scale", "low": 12, "high": 1, "pass_from": 4}, "больше наименьшей", "high"),
    ({"name": "Двенадцать", "kind": "scale", "low": 1, "high": 12, "pass_from": 20}, "Зачётная с", "pass_from"),
    ({"name": "Пятибалльная", "kind": "scale", "low": 1, "high": 5, "pass_from": 3}, "уже есть", "name"),
    ({"name": "Буквы", "kind": "marks", "marks": []}, "хотя бы одну", "marks"),
    ({"name": "Буквы", "kind": "marks", "marks": [("н", "н", True, None)]}, "посещаемость", "marks"),
    ({"name": "Буквы", "kind": "marks", "marks": [("A", "a", True, None), ("a", "a", True, None)]}, "дважды",
     "marks"),
])
async def test_bad_systems_are_refused(db, kwargs, message, field):
    s = await journal_school()
    before = await GradingSystem.count().run()
    kwargs = dict(kwargs)  # the same parameters serve both engines
    name, kind = kwargs.pop("name"), kwargs.pop("kind")
    with pytest.raises(Refused, match=message) as caught:
        await setup.do_save_system(admin(s), None, name, kind, **kwargs)
    assert caught.value.field == field and await GradingSystem.count().run() == before


async def test_conversions_replace_and_refuse_overlaps(db):
    """R-GRADE-3: conversion rules between systems; overlapping ranges or a mark foreign to the
    target system are refused."""
    s = await journal_school()
    every = {x.code: x.id for x in (await access.systems()).values()}
    with pytest.raises(Refused, match="пересекаются"):
        await setup.do_save_conversions(admin(s), every["10"], every["5"],
                                        setup.parse_conversions("1 5 3\n5 10 5"))
    with pytest.raises(Refused, match="не отметка"):
        await setup.do_save_conversions(admin(s), every["10"], every["5"], setup.parse_conversions("1 10 7"))
    await setup.do_save_conversions(admin(s), every["10"], every["5"],
                                    setup.parse_conversions("1–4 → 2\n5-7 3\n8;10;5"))
    rows = await GradeConversion.select().where(GradeConversion.source == every["10"]).run()
    assert sorted(r["mark"] for r in rows) == ["2", "3", "5"]


async def test_work_kinds_weights(db):
    """R-GRADE-5: weights 0,1–10; a new grade takes its kind's weight."""
    s = await journal_school()
    with pytest.raises(Refused, match="от 0,1 до 10") as caught:
        await setup.do_save_work_kind(admin(s), None, "Зачётная работа", "зач/р", "12")
    assert caught.value.field == "weight"
    kid = await setup.do_save_work_kind(admin(s), None, "Зачётная работа", "зач/р", "2,5", 20)
    row = await WorkKind.select().where(WorkKind.id == kid).first().run()
    assert Decimal(str(row["weight"])) == Decimal("2.5")
    await setup.do_save_work_kind(admin(s), kid, "Зачётная работа", "зач/р", "4", 20, False)
    assert not (await WorkKind.select().where(WorkKind.id == kid).first().run())["active"]
    assert len(await audit("journal.work_kind_saved")) == 2

"""The school's journal rules (R-GRADE-4, R-GRADE-5, R-GRADE-6, 004 items 3–4), set on «Правила
журнала» by the holder of ``journal.settings``: the year's settings (free-edit days, approval,
visibility of forecast and finals, deadlines, rounding, file size), grading systems with their
marks, conversions between systems, which system a journal uses, kinds of work and weights.
Every limit is refused here in Russian naming the field; every change is audited."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal, InvalidOperation

from service import forms
from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.journal import access, rules
from service.journal.tables import (
    GradeConversion,
    GradingMark,
    GradingRule,
    GradingSystem,
    JournalSetting,
    WorkKind,
)
from service.timetable.tables import Lesson

SYSTEM_NAME_MAX = 100
MARK_TEXT_MAX = 8
MARK_NAME_MAX = 40
MARKS_MAX = 20
CONVERSIONS_MAX = 50
WORK_NAME_MAX = 60
WORK_SHORT_MAX = 8
GROUP_KINDS = {"subgroup": "подгруппа", "profile": "профильная группа", "elective": "элективный курс",
               "optional": "факультатив", "club": "кружок", "gpd": "группа продлённого дня",
               "extra": "дополнительное образование"}

LIMITS = {  # field: (label, low, high)
    "edit_days": ("Дней свободного исправления", 0, 365),
    "forecast_days": ("Прогноз виден за (дней до конца периода)", 14, 120),
    "finals_days": ("Итоговые видны за (дней до конца периода)", 2, 60),
    "grades_due_days": ("Срок внесения отметок (дней после урока)", 0, 60),
    "homework_due_hours": ("Срок записи домашнего задания (часов до следующего урока)", 0, 168),
    "file_max_kb": ("Наибольший размер файла домашнего задания (КБ)", 100, 51200),
}
ROUND_MIN, ROUND_MAX = Decimal("0.10"), Decimal("0.90")
WEIGHT_MIN, WEIGHT_MAX = Decimal("0.1"), Decimal("10")


def _need(viewer: Viewer) -> None:
    if not viewer.can("journal.settings"):
        raise Refused("Правила журнала меняет заместитель директора или администратор")


def decimal_of(raw, label: str, field: str) -> Decimal:
    """A decimal number typed with a point or a comma."""
    if isinstance(raw, Decimal):
        return raw
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if not text or len(text) > 12:
        raise Refused(f"{label}: введите число", field=field)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Refused(f"{label}: введите число (например, 0,5)", field=field) from None
    if not value.is_finite():
        raise Refused(f"{label}: введите число", field=field)
    return value


async def _year(year_id: int) -> dict:
    if not 0 < year_id <= 2**31 - 1:
        raise NotFound()
    rows = await Lesson.raw("SELECT * FROM academic_year WHERE id = {}", year_id).run()
    if not rows:
        raise NotFound()
    return rows[0]


def check_settings(values: dict, year: dict) -> dict:
    """The year's settings as typed → clean values (``Refused`` naming the field)."""
    clean: dict = {}
    for name, (label, _, _) in LIMITS.items():
        v = values.get(name)
        if isinstance(v, bool) or not isinstance(v, int):
            raise Refused(f"{label}: введите целое число", field=name)
        clean[name] = v
    rules.check_visibility_days(clean["forecast_days"], clean["finals_days"])
    for name, (label, low, high) in LIMITS.items():
        if not low <= clean[name] <= high:
            raise Refused(f"{label}: от {low} до {high}", field=name)
    rf = decimal_of(values.get("round_from"), "Округлять вверх с доли", "round_from")
    if not ROUND_MIN <= rf <= ROUND_MAX:
        raise Refused("Округлять вверх с доли: от 0,10 до 0,90 (0,5 — по правилам арифметики)",
                      field="round_from")
    clean["round_from"] = rf.quantize(Decimal("0.01"))
    due = values.get("plans_due")
    if not isinstance(due, date) or not year["starts_on"] <= due <= year["ends_on"]:
        raise Refused(f"Срок сдачи КТП: дата учебного года {year['name']} "
                      f"({year['starts_on']:%d.%m.%Y}–{year['ends_on']:%d.%m.%Y})", field="plans_due")
    clean["plans_due"] = due
    clean["approval_required"] = bool(values.get("approval_required"))
    return clean


def _plain(d: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in d.items()}


async def do_save_settings(viewer: Viewer, year_id: int, values: dict) -> None:
    """Save the year's journal rules (a missing row had the defaults)."""
    _need(viewer)
    async with atomic():
        year = await _year(year_id)
        if year["closed_at"] is not None:
            raise Refused(f"Учебный год {year['name']} закрыт: его правила не меняются")
        clean = check_settings(values, year)
        await xact_lock(f"journal_setting:{year_id}")
        old = asdict(await access.settings(year_id))
        old.pop("year", None)
        if old == clean:
            return
        now = access.now()
        exists = await Lesson.raw("SELECT id FROM journal_setting WHERE year = {}", year_id).run()
        cols = {getattr(JournalSetting, k): v for k, v in clean.items()}
        if exists:
            await JournalSetting.update({**cols, JournalSetting.updated_at: now}).where(
                JournalSetting.year == year_id).run()
        else:
            await JournalSetting.insert(JournalSetting(year=year_id, updated_at=now, **clean)).run()
        changed = [k for k in clean if old.get(k) != clean[k]]
        await record(viewer.actor, "journal.settings_changed", "journal_setting", year_id,
                     old=_plain({k: old.get(k) for k in changed}), new=_plain({k: clean[k] for k in changed}))


# --- grading systems --------------------------------------------------------------------------


def check_marks(marks: list[tuple[str, str, bool, Decimal | None]]) -> list[tuple[str, str, bool, Decimal | None]]:
    if not marks:
        raise Refused("Отметки системы: укажите хотя бы одну отметку", field="marks")
    if len(marks) > MARKS_MAX:
        raise Refused(f"Отметки системы: не больше {MARKS_MAX}", field="marks")
    seen = set()
    clean = []
    for text, name, passing, value in marks:
        text, name = (text or "").strip(), (name or "").strip()
        if not text or len(text) > MARK_TEXT_MAX or " " in text:
            raise Refused(f"Отметка «{text}»: от 1 до {MARK_TEXT_MAX} знаков без пробелов", field="marks")
        if text.lower() in seen:
            raise Refused(f"Отметка «{text}» указана дважды", field="marks")
        if text.lower() in rules.SPECIAL_FINALS or rules.ATTENDANCE_BY_LETTER.get(text.lower()) \
                or rules.ATTENDANCE_ALIASES.get(text.lower()):
            raise Refused(f"«{text}» уже означает посещаемость или «н/а»/«осв.»: выберите другое обозначение",
                          field="marks")
        if len(name) > MARK_NAME_MAX:
            raise Refused(f"Название отметки «{text}»: не длиннее {MARK_NAME_MAX} символов", field="marks")
        if value is not None and not Decimal(-1000) <= value <= Decimal(1000):
            raise Refused(f"Число отметки «{text}»: от −1000 до 1000", field="marks")
        seen.add(text.lower())
        clean.append((text, name or text, bool(passing), value))
    return clean


def parse_marks(text: str) -> list[tuple[str, str, bool, Decimal | None]]:
    """Marks typed one a line: «обозначение; название; зачётная (да/нет); число (необязательно)»."""
    marks = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) > 4:
            raise Refused(f"Отметки, строка {n}: не больше четырёх частей через «;»", field="marks")
        parts += [""] * (4 - len(parts))
        passing = parts[2].lower() not in ("нет", "no", "0", "-", "незачёт", "незачет")
        value = decimal_of(parts[3], f"Отметки, строка {n}: число", "marks") if parts[3] else None
        marks.append((parts[0], parts[1], passing, value))
    return marks


async def do_save_system(viewer: Viewer, system_id: int | None, name: str, kind: str, *, low: int = 0,
                         high: int = 0, pass_from: int = 0, marks: list | None = None,
                         active: bool = True) -> int:
    """Create a grading system (``system_id`` None) or change one the school made. A scale has
    whole numbers ``low``…``high`` passing from ``pass_from``; "marks" lists its named marks.
    A mark already given in grades or finals cannot be removed; built-in systems stay as they are."""
    _need(viewer)
    name = forms.value(forms.Text("Название системы", SYSTEM_NAME_MAX, required=True), name, "name")
    if kind not in ("scale", "marks"):
        raise Refused("Вид системы: шкала чисел или список отметок", field="kind")
    clean_marks: list = []
    if kind == "scale":
        for label, v, f in (("Наименьшая отметка", low, "low"), ("Наибольшая отметка", high, "high"),
                            ("Зачётная с", pass_from, "pass_from")):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 1000:
                raise Refused(f"{label}: целое число от 0 до 1000", field=f)
        if low >= high:
            raise Refused("Наибольшая отметка должна быть больше наименьшей", field="high")
        if not low <= pass_from <= high:
            raise Refused(f"Зачётная с: число от {low} до {high}", field="pass_from")
    else:
        clean_marks = check_marks(marks or [])
        low = high = pass_from = 0
    async with atomic():
        await xact_lock("grading_systems")
        clash = await Lesson.raw("SELECT id FROM grading_system WHERE LOWER(name) = LOWER({}) AND id <> {}",
                                 name, system_id or 0).run()
        if clash:
            raise Refused(f"Система «{name}» уже есть", field="name")
        now = access.now()
        if system_id is None:
            code = f"s{now:%y%m%d%H%M%S%f}"[:20]
            sid = (await GradingSystem.insert(GradingSystem(
                code=code, name=name, kind=kind, low=low, high=high, pass_from=pass_from, builtin=False,
                active=active, created_at=now)).returning(GradingSystem.id).run())[0]["id"]
            if clean_marks:
                await GradingMark.insert(*[GradingMark(system=sid, text=t, name=n, passing=p, value=v, position=i)
                                           for i, (t, n, p, v) in enumerate(clean_marks)]).run()
            await record(viewer.actor, "journal.system_saved", "grading_system", sid,
                         new={"name": name, "kind": kind, "low": low, "high": high, "pass_from": pass_from,
                              "marks": [t for t, _, _, _ in clean_marks]})
            return sid
        if not 0 < system_id <= 2**31 - 1:
            raise NotFound()
        rows = await Lesson.raw("SELECT * FROM grading_system WHERE id = {}", system_id).run()
        if not rows:
            raise NotFound()
        old = rows[0]
        if old["builtin"]:
            raise Refused(f"Система «{old['name']}» встроенная: её отметки не меняются. Создайте свою систему",
                          field="name")
        if old["kind"] != kind:
            raise Refused("Вид системы после создания не меняется", field="kind")
        old_marks = await Lesson.raw("SELECT id, text, name, passing, value FROM grading_mark WHERE system = {} "
                                     "ORDER BY position, id", system_id).run()
        used = await Lesson.raw(
            "SELECT DISTINCT mark FROM grade WHERE system = {} UNION SELECT DISTINCT mark FROM final_grade "
            "WHERE system = {}", system_id, system_id).run()
        used_marks = {r["mark"] for r in used}
        if kind == "scale":
            out = sorted(m for m in used_marks if m.lstrip("-").isdigit() and not low <= int(m) <= high)
            if out:
                raise Refused(f"Отметки {', '.join('«' + m + '»' for m in out)} уже выставлены: диапазон "
                              "должен их включать", field="low")
        else:
            gone = sorted(used_marks - {t for t, _, _, _ in clean_marks} - set(rules.SPECIAL_FINALS))
            if gone:
                raise Refused(f"Отметки {', '.join('«' + m + '»' for m in gone)} уже выставлены и не могут быть "
                              "убраны из системы", field="marks")
        await GradingSystem.update({GradingSystem.name: name, GradingSystem.low: low, GradingSystem.high: high,
                                    GradingSystem.pass_from: pass_from, GradingSystem.active: active}).where(
            GradingSystem.id == system_id).run()
        if kind == "marks":
            await GradingMark.delete().where(GradingMark.system == system_id).run()
            await GradingMark.insert(*[GradingMark(system=system_id, text=t, name=n, passing=p, value=v,
                                                   position=i) for i, (t, n, p, v) in enumerate(clean_marks)]).run()
        await record(viewer.actor, "journal.system_saved", "grading_system", system_id,
                     old={"name": old["name"], "low": old["low"], "high": old["high"],
                          "pass_from": old["pass_from"], "active": bool(old["active"]),
                          "marks": [m["text"] for m in old_marks]},
                     new={"name": name, "low": low, "high": high, "pass_from": pass_from, "active": active,
                          "marks": [t for t, _, _, _ in clean_marks]})
        return system_id


def parse_conversions(text: str) -> list[tuple[Decimal, Decimal, str]]:
    """Lines «от–до → отметка» («85-100 5», «85–100 → 5», «85;100;5»)."""
    out = []
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        parts = [p for p in line.replace("→", " ").replace("–", " ").replace("—", " ").replace(";", " ")
                 .replace("-", " ").split() if p]
        if len(parts) != 3:
            raise Refused(f"Пересчёт, строка {n}: ожидается «от до отметка», например «85 100 5»",
                          field="conversions")
        lo = decimal_of(parts[0], f"Пересчёт, строка {n}: «от»", "conversions")
        hi = decimal_of(parts[1], f"Пересчёт, строка {n}: «до»", "conversions")
        out.append((lo, hi, parts[2]))
    return out


async def do_save_conversions(viewer: Viewer, source: int, target: int,
                              rows: list[tuple[Decimal, Decimal, str]]) -> None:
    """Replace the rules converting ``source`` values into ``target`` marks (an empty list
    removes them). Ranges must not overlap; each mark must be one of the target system."""
    _need(viewer)
    if len(rows) > CONVERSIONS_MAX:
        raise Refused(f"Пересчёт: не больше {CONVERSIONS_MAX} строк", field="conversions")
    async with atomic():
        every = await access.systems()
        if source not in every or target not in every:
            raise NotFound()
        if source == target:
            raise Refused("Пересчёт из системы в неё же не нужен", field="target")
        if every[target].kind == "none" or every[source].kind == "none":
            raise Refused("В системе «Без отметок» нечего пересчитывать", field="target")
        clean = []
        for lo, hi, mark in rows:
            try:
                m, _ = every[target].mark(mark)
            except Refused as exc:
                raise Refused(f"Пересчёт: {exc.message}", field="conversions") from None
            if abs(lo) > 1000 or abs(hi) > 1000:
                raise Refused("Пересчёт: границы от −1000 до 1000", field="conversions")
            clean.append((lo, hi, m))
        try:
            rules.check_conversions(clean)
        except Refused as exc:
            raise Refused(f"Пересчёт: {exc.message}", field="conversions") from None
        await xact_lock("grading_systems")
        old = await Lesson.raw("SELECT low, high, mark FROM grade_conversion WHERE source = {} AND target = {} "
                               "ORDER BY low", source, target).run()
        await GradeConversion.delete().where((GradeConversion.source == source)
                                             & (GradeConversion.target == target)).run()
        if clean:
            await GradeConversion.insert(*[GradeConversion(source=source, target=target, low=lo, high=hi, mark=m)
                                           for lo, hi, m in sorted(clean)]).run()
        await record(viewer.actor, "journal.system_saved", "grade_conversion", f"{source}-{target}",
                     old=[f"{r['low']}–{r['high']} → {r['mark']}" for r in old],
                     new=[f"{lo}–{hi} → {m}" for lo, hi, m in sorted(clean)])


# --- which system where -----------------------------------------------------------------------


async def do_save_rule(viewer: Viewer, rule_id: int | None, year_id: int, system: int, subject: int | None,
                       grade_from: int, grade_to: int, group_kinds: list[str] | tuple[str, ...] = ()) -> int:
    """Create or change a rule choosing the grading system of journals."""
    _need(viewer)
    for label, v, f in (("Классы с", grade_from, "grade_from"), ("Классы по", grade_to, "grade_to")):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 11:
            raise Refused(f"{label}: число от 1 до 11", field=f)
    if grade_from > grade_to:
        raise Refused("Классы с … по …: начало позже конца", field="grade_to")
    bad = [k for k in group_kinds if k not in GROUP_KINDS]
    if bad:
        raise Refused("Виды групп: выберите из списка", field="group_kinds")
    kinds = " ".join(sorted(set(group_kinds)))
    async with atomic():
        year = await _year(year_id)
        if year["closed_at"] is not None:
            raise Refused(f"Учебный год {year['name']} закрыт: его правила не меняются")
        every = await access.systems()
        if system not in every:
            raise Refused("Система оценивания: выберите из списка", field="system")
        if subject is not None and not await Lesson.raw("SELECT 1 FROM subject WHERE id = {}", subject).run():
            raise Refused("Предмет: выберите из списка", field="subject")
        new = {"system": every[system].name, "subject": subject, "grade_from": grade_from, "grade_to": grade_to,
               "group_kinds": kinds}
        await xact_lock(f"grading_rule:{year_id}")
        if rule_id is None:
            rid = (await GradingRule.insert(GradingRule(year=year_id, system=system, subject=subject,
                                                        grade_from=grade_from, grade_to=grade_to,
                                                        group_kinds=kinds)).returning(GradingRule.id).run())[0]["id"]
            await record(viewer.actor, "journal.rule_saved", "grading_rule", rid, new=new)
            return rid
        rows = await Lesson.raw("SELECT * FROM grading_rule WHERE id = {} AND year = {}", rule_id, year_id).run()
        if not rows:
            raise NotFound()
        old = rows[0]
        await GradingRule.update({GradingRule.system: system, GradingRule.subject: subject,
                                  GradingRule.grade_from: grade_from, GradingRule.grade_to: grade_to,
                                  GradingRule.group_kinds: kinds}).where(GradingRule.id == rule_id).run()
        await record(viewer.actor, "journal.rule_saved", "grading_rule", rule_id,
                     old={"system": every.get(old["system"]).name if old["system"] in every else old["system"],
                          "subject": old["subject"], "grade_from": old["grade_from"], "grade_to": old["grade_to"],
                          "group_kinds": old["group_kinds"]}, new=new)
        return rule_id


async def do_remove_rule(viewer: Viewer, rule_id: int) -> None:
    """Remove a rule (journals it chose for fall back to the next rule or the five-point system;
    grades already given keep their system)."""
    _need(viewer)
    if not 0 < rule_id <= 2**31 - 1:
        raise NotFound()
    async with atomic():
        rows = await Lesson.raw("SELECT r.*, y.closed_at FROM grading_rule r JOIN academic_year y ON y.id = r.year "
                                "WHERE r.id = {}", rule_id).run()
        if not rows:
            raise NotFound()
        if rows[0]["closed_at"] is not None:
            raise Refused("Учебный год закрыт: его правила не меняются")
        await GradingRule.delete().where(GradingRule.id == rule_id).run()
        old = {k: rows[0][k] for k in ("system", "subject", "grade_from", "grade_to", "group_kinds")}
        await record(viewer.actor, "journal.rule_saved", "grading_rule", rule_id, old=old, new=None)


# --- kinds of work ------------------------------------------------------------------------------


async def do_save_work_kind(viewer: Viewer, kind_id: int | None, name: str, short: str, weight,
                            position: int = 0, active: bool = True) -> int:
    """Create or change a kind of work and its weight (0.1–10). New grades take the weight; the
    grades already given keep theirs (the average never changes behind a teacher's back)."""
    _need(viewer)
    name = forms.value(forms.Text("Вид работы", WORK_NAME_MAX, required=True), name, "name")
    short = forms.value(forms.Text("Сокращение", WORK_SHORT_MAX, required=True), short, "short")
    w = decimal_of(weight, "Вес", "weight")
    if not WEIGHT_MIN <= w <= WEIGHT_MAX:
        raise Refused("Вес: от 0,1 до 10", field="weight")
    if w != w.quantize(Decimal("0.01")):
        raise Refused("Вес: не больше двух знаков после запятой", field="weight")
    w = w.quantize(Decimal("0.01"))
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 1000:
        raise Refused("Порядок: число от 0 до 1000", field="position")
    async with atomic():
        await xact_lock("work_kinds")
        clash = await Lesson.raw("SELECT id FROM work_kind WHERE LOWER(name) = LOWER({}) AND id <> {}",
                                 name, kind_id or 0).run()
        if clash:
            raise Refused(f"Вид работы «{name}» уже есть", field="name")
        new = {"name": name, "short": short, "weight": str(w), "position": position, "active": active}
        if kind_id is None:
            kid = (await WorkKind.insert(WorkKind(name=name, short=short, weight=w, position=position,
                                                  active=active)).returning(WorkKind.id).run())[0]["id"]
            await record(viewer.actor, "journal.work_kind_saved", "work_kind", kid, new=new)
            return kid
        if not 0 < kind_id <= 2**31 - 1:
            raise NotFound()
        rows = await Lesson.raw("SELECT * FROM work_kind WHERE id = {}", kind_id).run()
        if not rows:
            raise NotFound()
        old = rows[0]
        if not active:
            others = await Lesson.raw("SELECT COUNT(*) AS n FROM work_kind WHERE active AND id <> {}", kind_id).run()
            if not others[0]["n"]:
                raise Refused("Должен остаться хотя бы один действующий вид работы", field="active")
        await WorkKind.update({WorkKind.name: name, WorkKind.short: short, WorkKind.weight: w,
                               WorkKind.position: position, WorkKind.active: active}).where(
            WorkKind.id == kind_id).run()
        await record(viewer.actor, "journal.work_kind_saved", "work_kind", kind_id,
                     old={"name": old["name"], "short": old["short"], "weight": str(Decimal(str(old["weight"]))),
                          "position": old["position"], "active": bool(old["active"])}, new=new)
        return kind_id

"""The preview of an import: each line of the file checked against the rules and against what
the school already has (``Lookups``, read once), with Russian errors naming the line and the
value. Pure: the same function runs for the page, the command line and inside the writing
transaction, so a file that passed the preview is checked again at the moment it is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.exchange import rules
from service.exchange.mapping import ColumnPlan, find_header, labels, plan_columns
from service.exchange.rules import CellError, clean_text, person_key
from service.people.rules import fold
from service.readers import Table

SHOWN_LINES = 200  # lines shown on the page; every error is listed whatever the length


@dataclass
class Lookups:
    """What the school already has, keyed as the file's cells are compared."""

    today: date
    year: dict | None = None
    classes: dict[str, int] = field(default_factory=dict)  # «7Б» → id (current year)
    subjects: dict[str, int] = field(default_factory=dict)  # folded name → id
    snils: dict[str, int] = field(default_factory=dict)
    people: dict[tuple, int] = field(default_factory=dict)  # person_key → id
    staff: dict[str, list[int]] = field(default_factory=dict)  # folded full name → ids
    students: dict[str, list[tuple[int, date | None, str]]] = field(default_factory=dict)
    links: set[tuple[int, int]] = field(default_factory=set)
    loads: set[tuple[int, int, int]] = field(default_factory=set)


@dataclass
class Line:
    number: int
    cells: list[str]
    errors: list[str] = field(default_factory=list)


@dataclass
class Preview:
    kind: str
    plan: ColumnPlan | None
    problems: list[str] = field(default_factory=list)  # about the file as a whole
    lines: list[Line] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # what will be written
    encoding: str = ""
    format: str = ""

    @property
    def errors(self) -> list[str]:
        """Every problem as one Russian sentence, the file's first, then line by line."""
        return [*self.problems, *(f"Строка {ln.number}: {e}" for ln in self.lines for e in ln.errors)]

    @property
    def clean(self) -> bool:
        return not self.errors and bool(self.items)

    @property
    def bad_lines(self) -> list[Line]:
        return [ln for ln in self.lines if ln.errors]


def build_preview(kind: str, table: Table, found: Lookups,
                  chosen: dict[int, str] | None = None) -> Preview:
    preview = Preview(kind, None, encoding=table.encoding, format=table.format)
    head = find_header(kind, table.rows)
    if head is None:
        preview.problems.append(
            "не найдена строка заголовков: ни один столбец не назван так, как ожидается для "
            f"списка «{_kind_title(kind)}» (например, {_examples(kind)}). Проверьте, что выбран "
            "нужный вид списка")
        return preview
    plan = plan_columns(kind, table.rows[head], chosen)
    preview.plan = plan
    names = labels(kind)
    if missing := plan.missing(kind):
        preview.problems.append("нет обязательных столбцов: " + "; ".join(missing))
    for index in plan.unsure:
        if (chosen or {}).get(index) is None:
            preview.problems.append(
                f"столбец «{plan.headers[index]}» похож на «{names[plan.guesses[index]]}» — "
                "подтвердите, какой это столбец")
    for twice in plan.duplicated():
        preview.problems.append(f"два столбца означают «{names[twice]}»: оставьте один")
    if kind in ("students", "classes", "load") and found.year is None:
        preview.problems.append("нет текущего учебного года: сначала создайте его")
    elif found.year is not None and found.year.get("closed_at") and kind in ("students", "classes", "load"):
        preview.problems.append(f"учебный год {found.year['name']} закрыт")
    if preview.problems:
        return preview
    check = CHECKS[kind]
    state: dict[str, Any] = {}
    width = len(plan.fields)
    for row, number in zip(table.rows[head + 1:], table.numbers[head + 1:], strict=True):
        cells = [clean_text(c) for c in row[:width]] + [""] * (width - len(row))
        if not any(cells):
            continue
        values = {f: row[i] if i < len(row) else None
                  for i, f in enumerate(plan.fields) if f}
        line = Line(number, cells)
        preview.lines.append(line)
        item = check(values, line, found, state)
        if item is not None and not line.errors:
            item["line"] = number
            preview.items.append(item)
    if not preview.lines:
        preview.problems.append("под строкой заголовков нет ни одной строки с данными")
    return preview


def _kind_title(kind: str) -> str:
    from service.exchange.mapping import KIND_NAMES

    return KIND_NAMES[kind]


def _examples(kind: str) -> str:
    return ", ".join(f"«{label}»" for label in list(labels(kind).values())[:3])


# --- cells ---------------------------------------------------------------------------------


def _cell(values: dict, code: str, kind: str, line: Line, parse, required: bool = False):
    """One cell parsed; a problem goes into the line's errors naming the column and value."""
    raw = values.get(code)
    text = clean_text(raw)
    label = labels(kind)[code]
    if not text:
        if required:
            line.errors.append(f"не заполнено «{label}»")
        return None
    if len(text) > rules.CELL_MAX:
        line.errors.append(f"«{label}»: слишком длинное значение ({len(text)} символов)")
        return None
    try:
        return parse(raw)
    except CellError as exc:
        line.errors.append(f"«{label}» = «{text[:60]}» — {exc.message}")
        return None


def _names(values: dict, kind: str, line: Line) -> tuple[str, str, str] | None:
    if clean_text(values.get("full_name")) and not clean_text(values.get("last_name")):
        parts = _cell(values, "full_name", kind, line, rules.split_full_name, required=True)
        if parts is None:
            return None
        try:
            return tuple(rules.check_name(p, "ФИО") for p in parts)  # type: ignore[return-value]
        except CellError as exc:
            line.errors.append(f"«ФИО» = «{clean_text(values['full_name'])[:60]}» — {exc.message}")
            return None
    last = _cell(values, "last_name", kind, line, lambda v: rules.check_name(v, "фамилия"), True)
    first = _cell(values, "first_name", kind, line, lambda v: rules.check_name(v, "имя"), True)
    middle = _cell(values, "middle_name", kind, line, lambda v: rules.check_name(v, "отчество")) or ""
    if last is None or first is None:
        return None
    return last, first, middle


def _person(values: dict, kind: str, line: Line, found: Lookups, birth_required: bool) -> dict | None:
    """A person's cells: name, birth date, SNILS, sex and contacts."""
    today = found.today
    names = _names(values, kind, line)
    birth = _cell(values, "birth_date", kind, line, lambda v: rules.parse_birth_date(v, today),
                  birth_required)
    person = {
        "sex": _cell(values, "sex", kind, line, rules.parse_sex) or "" if kind != "parents" else "",
        "snils": _cell(values, "snils", kind, line, rules.parse_snils) or "",
        "phone": _cell(values, "phone", kind, line, rules.parse_phone) or "",
        "email": _cell(values, "email", kind, line, rules.parse_email) or "",
        "birth_date": birth,
    }
    if names is None:
        return None
    person["last_name"], person["first_name"], person["middle_name"] = names
    return person


def _shown(person: dict) -> str:
    names = " ".join(p for p in (person["last_name"], person["first_name"], person["middle_name"]) if p)
    return names + (f", {person['birth_date']:%d.%m.%Y}" if person["birth_date"] else "")


def _check_new(person: dict, line: Line, found: Lookups, state: dict) -> None:
    """A new person must not be known already — by SNILS, or by full name and birth date —
    in the file or in the database."""
    seen_snils = state.setdefault("snils", {})
    seen_people = state.setdefault("people", {})
    snils = person["snils"]
    if snils:
        if snils in found.snils:
            line.errors.append(f"СНИЛС {snils} ({_shown(person)}) уже есть в базе")
        elif snils in seen_snils:
            line.errors.append(f"СНИЛС {snils} ({_shown(person)}) повторяет строку {seen_snils[snils]}")
        seen_snils.setdefault(snils, line.number)
    key = person_key(person["last_name"], person["first_name"], person["middle_name"],
                     person["birth_date"])
    if person["birth_date"] is not None and key in found.people:
        line.errors.append(f"{_shown(person)} — уже есть в базе")
    elif key in seen_people:
        line.errors.append(f"{_shown(person)} — повторяет строку {seen_people[key]}")
    seen_people.setdefault(key, line.number)


def _class_id(values: dict, kind: str, line: Line, found: Lookups, code: str = "class_name",
              required: bool = True) -> tuple[int, str] | None:
    name = _class_cell(values, kind, line, code, required)
    if name is None:
        return None
    if name not in found.classes:
        line.errors.append(f"класса «{name}» нет в текущем учебном году")
        return None
    return found.classes[name], name


def _class_cell(values: dict, kind: str, line: Line, code: str = "class_name",
                required: bool = True) -> str | None:
    if code == "class_name" and not clean_text(values.get(code)) and "grade" in values:
        grade, letter = clean_text(values.get("grade")), clean_text(values.get("letter"))
        if not grade:
            if required:
                line.errors.append("не заполнено «Параллель»")
            return None
        values = {code: f"{grade}{letter}"}
    return _cell(values, code, kind, line, rules.class_name, required)


def _staff_member(text: str, what: str, line: Line, found: Lookups) -> int | None:
    ids = found.staff.get(fold(text), [])
    if not ids:
        line.errors.append(f"«{what}» = «{text[:60]}» — такого сотрудника нет в штате (сначала "
                           "загрузите список сотрудников)")
        return None
    if len(ids) > 1:
        line.errors.append(f"«{what}» = «{text[:60]}» — в штате несколько сотрудников с таким ФИО")
        return None
    return ids[0]


# --- kinds ---------------------------------------------------------------------------------


def _students(values: dict, line: Line, found: Lookups, state: dict) -> dict | None:
    person = _person(values, "students", line, found, birth_required=True)
    school_class = _class_id(values, "students", line, found)
    if person is None:
        return None
    _check_new(person, line, found, state)
    if school_class is None:
        return None
    person["class_id"], person["class_name"] = school_class
    return person


def _staff(values: dict, line: Line, found: Lookups, state: dict) -> dict | None:
    person = _person(values, "staff", line, found, birth_required=False)
    post = _cell(values, "post", "staff", line, _limited(150), required=True)
    starts = _cell(values, "starts_on", "staff", line,
                   lambda v: rules.parse_day(v, found.today)) or found.today
    if person is None:
        return None
    _check_new(person, line, found, state)
    full = fold(" ".join(p for p in (person["last_name"], person["first_name"],
                                     person["middle_name"]) if p))
    if person["birth_date"] is None and full in found.staff:
        line.errors.append(f"{_shown(person)} — уже в штате")
    if post is None:
        return None
    person["post"], person["starts_on"] = post, starts
    return person


def _parents(values: dict, line: Line, found: Lookups, state: dict) -> dict | None:
    today = found.today
    person = _person(values, "parents", line, found, birth_required=False)
    kind = _cell(values, "kind", "parents", line, rules.parse_parent_kind) or ""
    child_text = _cell(values, "child_full_name", "parents", line, rules.clean_text, required=True)
    child_birth = _cell(values, "child_birth_date", "parents", line,
                        lambda v: rules.parse_birth_date(v, today))
    child_class = _class_cell(values, "parents", line, "child_class", required=False)
    if person is None or child_text is None:
        return None
    # A parent of two pupils is one person on two lines: the first line creates them.
    same = state.setdefault("same_parent", {})
    ident = person["snils"] or person_key(person["last_name"], person["first_name"],
                                          person["middle_name"], person["birth_date"])
    if ident in same:
        person["same_as"] = same[ident]
    else:
        _check_new(person, line, found, state)
        same[ident] = line.number
    if child_birth is None and child_class is None:
        line.errors.append("для поиска ребёнка нужна его дата рождения или класс")
        return None
    candidates = [c for c in found.students.get(fold(child_text), [])
                  if (child_birth is None or c[1] == child_birth)
                  and (child_class is None or c[2] == child_class)]
    if not candidates:
        line.errors.append(f"ребёнок «{child_text}» не найден среди учеников текущего года")
        return None
    if len(candidates) > 1:
        line.errors.append(f"учеников «{child_text}» несколько: укажите дату рождения ребёнка")
        return None
    child = candidates[0][0]
    pairs = state.setdefault("pairs", {})
    if (ident, child) in pairs:
        line.errors.append(f"связь с ребёнком «{child_text}» повторяет строку {pairs[ident, child]}")
    pairs.setdefault((ident, child), line.number)
    person["child_id"], person["child_name"], person["kind"] = child, child_text, kind
    return person


def _limited(size: int):
    def parse(value: object) -> str:
        text = clean_text(value)
        if len(text) > size:
            raise CellError(f"не длиннее {size} символов")
        return text
    return parse


def _subjects(values: dict, line: Line, found: Lookups, state: dict) -> dict | None:
    name = _cell(values, "name", "subjects", line, _limited(150), required=True)
    short = _cell(values, "short_name", "subjects", line, _limited(30)) or ""
    if name is None:
        return None
    key = fold(name)
    seen = state.setdefault("names", {})
    if key in found.subjects:
        line.errors.append(f"предмет «{name}» уже есть")
    elif key in seen:
        line.errors.append(f"предмет «{name}» повторяет строку {seen[key]}")
    seen.setdefault(key, line.number)
    return {"name": name, "short_name": short}


def _classes(values: dict, line: Line, found: Lookups, state: dict) -> dict | None:
    name = _class_cell(values, "classes", line)
    teacher_text = clean_text(values.get("class_teacher"))
    teacher = _staff_member(teacher_text, "Классный руководитель", line, found) if teacher_text else None
    week = _cell(values, "week_days", "classes", line, rules.parse_week_days) or 5
    if name is None:
        return None
    grade = int("".join(ch for ch in name if ch.isdigit()))
    letter = name[len(str(grade)):]
    seen = state.setdefault("names", {})
    if name in found.classes:
        line.errors.append(f"класс «{name}» уже есть в текущем учебном году")
    elif name in seen:
        line.errors.append(f"класс «{name}» повторяет строку {seen[name]}")
    seen.setdefault(name, line.number)
    return {"name": name, "grade": grade, "letter": letter, "class_teacher": teacher,
            "week_days": week}


def _load(values: dict, line: Line, found: Lookups, state: dict) -> dict | None:
    teacher_text = _cell(values, "teacher", "load", line, rules.clean_text, required=True)
    teacher = _staff_member(teacher_text, "Учитель", line, found) if teacher_text else None
    subject_text = _cell(values, "subject", "load", line, rules.clean_text, required=True)
    subject = found.subjects.get(fold(subject_text or ""))
    if subject_text and subject is None:
        line.errors.append(f"предмета «{subject_text[:60]}» нет в списке предметов")
    school_class = _class_id(values, "load", line, found)
    hours = _cell(values, "hours", "load", line, rules.parse_hours, required=True)
    year_start = found.year["starts_on"] if found.year else found.today
    starts = _cell(values, "starts_on", "load", line,
                   lambda v: rules.parse_day(v, found.today)) or max(found.today, year_start)
    if None in (teacher, subject, school_class, hours):
        return None
    key = (teacher, subject, school_class[0])
    seen = state.setdefault("loads", {})
    if key in found.loads:
        line.errors.append(f"{teacher_text} уже ведёт «{subject_text}» в {school_class[1]}")
    elif key in seen:
        line.errors.append(f"нагрузка повторяет строку {seen[key]}")
    seen.setdefault(key, line.number)
    return {"teacher": teacher, "teacher_name": teacher_text, "subject": subject,
            "subject_name": subject_text, "class_id": school_class[0],
            "class_name": school_class[1], "hours": hours, "starts_on": starts}


CHECKS = {"students": _students, "parents": _parents, "staff": _staff, "subjects": _subjects,
          "classes": _classes, "load": _load}

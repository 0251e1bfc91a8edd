"""Which column is which: the fields of each list, their Russian column names as schools write
them, finding the header row under title rows, and mapping headers to fields. Pure: no I/O.

A header that equals a known name (case, ё/е, punctuation and spaces aside) is mapped with
confidence; one that only resembles a name is a guess the user must confirm; the rest are
left out unless the user says what they are."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from service.people.rules import fold

KINDS = ("students", "parents", "staff", "subjects", "classes", "load")
KIND_NAMES = {
    "students": "Ученики", "parents": "Родители", "staff": "Сотрудники",
    "subjects": "Предметы", "classes": "Классы", "load": "Учебная нагрузка",
}
HEADER_SCAN_ROWS = 30  # title rows above the header: a school's list has a few, never thirty


@dataclass(frozen=True)
class Field:
    code: str
    label: str
    synonyms: tuple[str, ...] = ()


_NAMES = (
    Field("full_name", "ФИО", ("фио", "ф и о", "фамилия имя отчество", "фамилия имя отчество полностью")),
    Field("last_name", "Фамилия", ("фамилия",)),
    Field("first_name", "Имя", ("имя",)),
    Field("middle_name", "Отчество", ("отчество",)),
)
_PERSON = (
    Field("birth_date", "Дата рождения", ("дата рождения", "д р", "др", "дата рожд",
                                          "день рождения", "год рождения")),
    Field("sex", "Пол", ("пол",)),
    Field("snils", "СНИЛС", ("снилс", "номер снилс", "страховой номер")),
    Field("phone", "Телефон", ("телефон", "тел", "мобильный телефон", "контактный телефон",
                               "номер телефона", "сотовый")),
    Field("email", "Электронная почта", ("электронная почта", "e mail", "email", "почта",
                                         "адрес электронной почты", "эл почта")),
)
_CLASS = (
    Field("class_name", "Класс", ("класс", "класс литера", "класс буква")),
    Field("grade", "Параллель", ("параллель", "номер класса", "год обучения")),
    Field("letter", "Литера", ("литера", "буква", "литер", "буква класса")),
)


def _with(prefix_words: tuple[str, ...], fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """The same fields also under «Фамилия ученика», «ФИО сотрудника», …"""
    return tuple(Field(f.code, f.label, f.synonyms + tuple(f"{s} {w}" for s in f.synonyms
                                                            for w in prefix_words))
                 for f in fields)


FIELDS: dict[str, tuple[Field, ...]] = {
    "students": _with(("ученика", "учащегося", "обучающегося", "ребенка"), _NAMES) + _PERSON + _CLASS,
    "parents": _with(("родителя", "законного представителя", "представителя"), _NAMES) + _PERSON[:1]
    + _PERSON[2:] + (
        Field("kind", "Кем приходится", ("кем приходится", "степень родства", "родство",
                                         "вид связи", "статус", "кто")),
        Field("child_full_name", "ФИО ребёнка", ("фио ребенка", "ребенок", "ученик",
                                                 "фио ученика", "ученик ца", "обучающийся",
                                                 "фио обучающегося", "дети", "ребенок ученик")),
        Field("child_birth_date", "Дата рождения ребёнка", ("дата рождения ребенка",
                                                            "д р ребенка", "дата рождения ученика")),
        Field("child_class", "Класс ребёнка", ("класс", "класс ребенка", "класс ученика")),
    ),
    "staff": _with(("сотрудника", "работника", "учителя", "педагога"), _NAMES) + _PERSON + (
        Field("post", "Должность", ("должность", "занимаемая должность", "должность по штату")),
        Field("starts_on", "Дата приёма", ("дата приема", "принят", "дата приема на работу",
                                           "с какого числа", "дата начала работы")),
    ),
    "subjects": (
        Field("name", "Предмет", ("предмет", "учебный предмет", "название предмета",
                                  "наименование предмета", "название", "наименование",
                                  "предмет полностью")),
        Field("short_name", "Сокращение", ("сокращение", "краткое название", "кратко",
                                           "сокр", "короткое название")),
    ),
    "classes": _CLASS + (
        Field("class_teacher", "Классный руководитель", ("классный руководитель", "кл рук",
                                                         "классный руководитель фио", "кл руководитель")),
        Field("week_days", "Учебная неделя", ("учебная неделя", "дней в неделю",
                                              "пятидневка шестидневка", "неделя", "режим")),
    ),
    "load": (
        Field("teacher", "Учитель", ("учитель", "фио учителя", "преподаватель", "педагог",
                                     "фио педагога", "фио")),
        Field("subject", "Предмет", ("предмет", "учебный предмет")),
        Field("class_name", "Класс", ("класс",)),
        Field("hours", "Часов в неделю", ("часов в неделю", "часы", "часов", "кол во часов",
                                          "количество часов", "нагрузка", "часов в нед")),
        Field("starts_on", "С даты", ("с даты", "дата начала", "с какого числа", "начало")),
    ),
}

# Each requirement: one of the alternatives (a set of fields) must be mapped in full.
REQUIRED: dict[str, tuple[tuple[frozenset[str], ...], ...]] = {
    "students": (
        (frozenset({"last_name", "first_name"}), frozenset({"full_name"})),
        (frozenset({"birth_date"}),),
        (frozenset({"class_name"}), frozenset({"grade", "letter"})),
    ),
    "parents": (
        (frozenset({"last_name", "first_name"}), frozenset({"full_name"})),
        (frozenset({"child_full_name"}),),
    ),
    "staff": (
        (frozenset({"last_name", "first_name"}), frozenset({"full_name"})),
        (frozenset({"post"}),),
    ),
    "subjects": ((frozenset({"name"}),),),
    "classes": ((frozenset({"class_name"}), frozenset({"grade", "letter"})),),
    "load": ((frozenset({"teacher"}),), (frozenset({"subject"}),), (frozenset({"class_name"}),),
             (frozenset({"hours"}),)),
}


def labels(kind: str) -> dict[str, str]:
    return {f.code: f.label for f in FIELDS[kind]}


def normalise_header(text: object) -> str:
    """«Д.р.», «Фамилия  ученика*», «E-mail:» → «д р», «фамилия ученика», «e mail»."""
    folded = fold(str(text or ""))
    return " ".join(re.sub(r"[^\w]+", " ", folded).replace("_", " ").split())


def _synonyms(kind: str) -> dict[str, str]:
    return {normalise_header(s): f.code for f in FIELDS[kind] for s in (f.synonyms + (f.label,))}


def exact_field(kind: str, header: object) -> str | None:
    return _synonyms(kind).get(normalise_header(header))


def guess_field(kind: str, header: object) -> str | None:
    """A field the header resembles (a typo, extra words): a guess to confirm, not a mapping."""
    text = normalise_header(header)
    if not text:
        return None
    synonyms = _synonyms(kind)
    close = difflib.get_close_matches(text, list(synonyms), n=1, cutoff=0.8)
    if close:
        return synonyms[close[0]]
    words = set(text.split())
    for synonym, code in sorted(synonyms.items(), key=lambda kv: -len(kv[0])):
        if len(synonym) > 3 and set(synonym.split()) <= words:
            return code
    return None


def find_header(kind: str, rows: list[list[object]]) -> int | None:
    """The index of the header row: among the first rows, the one naming most known fields
    (title rows above it name none)."""
    best, best_score = None, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = len({code for cell in row if (code := exact_field(kind, cell))})
        if score > best_score:
            best, best_score = index, score
    return best


@dataclass
class ColumnPlan:
    """What the importer does with each column: ``fields[i]`` is the field of column i or
    None (left out); ``unsure`` are columns whose meaning was guessed and must be confirmed."""

    headers: list[str]
    fields: list[str | None]
    guesses: dict[int, str]
    unsure: list[int]

    def missing(self, kind: str) -> list[str]:
        """Russian names of required columns that no column supplies."""
        mapped = {f for f in self.fields if f}
        names = labels(kind)
        result = []
        for alternatives in REQUIRED[kind]:
            if not any(alt <= mapped for alt in alternatives):
                result.append(" или ".join("+".join(f"«{names[c]}»" for c in sorted(alt))
                                            for alt in alternatives))
        return result

    def duplicated(self) -> list[str]:
        seen: dict[str, int] = {}
        twice = []
        for field in self.fields:
            if field and field in seen and field not in twice:
                twice.append(field)
            if field:
                seen[field] = 1
        return twice


def plan_columns(kind: str, headers: list[object], chosen: dict[int, str] | None = None) -> ColumnPlan:
    """Map each header to a field. ``chosen`` are the user's answers for columns (index → field
    code, or "" to leave the column out); they win over everything else."""
    chosen = chosen or {}
    codes = set(labels(kind))
    texts = [" ".join(str(h or "").split()) for h in headers]
    fields: list[str | None] = []
    guesses: dict[int, str] = {}
    unsure: list[int] = []
    for index, header in enumerate(headers):
        if index in chosen:
            answer = chosen[index]
            fields.append(answer if answer in codes else None)
            continue
        exact = exact_field(kind, header)
        if exact:
            fields.append(exact)
            continue
        fields.append(None)
        guess = guess_field(kind, header)
        if guess:
            guesses[index] = guess
            unsure.append(index)
    return ColumnPlan(texts, fields, guesses, unsure)

"""The archive's documents as PDF/A-3b: transcripts, the class summary sheet, the package's
passport, its inventory («опись») and the destruction acts.

Input is a plain JSON-like document, versioned and documented in ``docs/archive-export.md``;
the journal produces it and this module never asks the journal anything, so the same PDF can be
rebuilt from the export alone. Every render checks its input first and answers a Russian
message that names the field at fault. The PDF is unsigned: ``archive.pdfsign`` seals it after.

Speed: WeasyPrint's boxes are the cost, ≈ 0.9 ms a table cell — a 15-subject year
transcript's grades table (≈ 100 cells) is two thirds of its ≈ 0.14 s. What helps is kept: the
stylesheet, fonts and templates are loaded once per process, WeasyPrint's HTML5 stylesheet is
replaced by the few rules the templates need, the table has a fixed layout, and the cycle
collector waits until a document is written (``_quiet_gc``). Laying out a class as one HTML
document and splitting its pages with ``Document.copy`` was measured and gained nothing: a
fresh document costs ≈ 6 ms, the rest is per box. Many documents: spread them over processes
(``archive.batch``)."""

from __future__ import annotations

import gc
import io
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NoReturn
from xml.etree import ElementTree

import cssselect2
import pydyf
import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import CSS, HTML, Attachment
from weasyprint.pdf.metadata import DocumentMetadata
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

VERSION = 1
TRANSCRIPT = "ezh-transcript"
SUMMARY_SHEET = "ezh-summary-sheet"
PASSPORT = "ezh-archive-passport"
INVENTORY = "ezh-inventory"
DESTRUCTION_ACT = "ezh-destruction-act"
FORMATS = (TRANSCRIPT, SUMMARY_SHEET, PASSPORT, INVENTORY, DESTRUCTION_ACT)

PDF_OPTIONS = {"pdf_variant": "pdf/a-3b", "pdf_tags": True}
# more subject columns than this do not fit an A4 landscape sheet legibly
A4_MAX_SUBJECTS = 24

_TEMPLATES = Path(__file__).parent / "templates"
# WeasyPrint keeps shared state (fonts, caches) that is not safe for threads
_LOCK = threading.Lock()


class DocumentInputError(Exception):
    """The input document is refused; the message (Russian) names the field at fault."""


# ---------------------------------------------------------------------------------------------
# checking the input


_TYPE_WORDS = {str: "строка", bool: "логическое значение", int: "число", float: "число",
               list: "список", dict: "объект", type(None): "null"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SHORT_CODE = re.compile(r"[0-9A-Z]{2,8}(-[0-9A-Z]{2,8}){0,3}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RESERVED_CODES = ("year", "exam")
_MARK_MAX = 12


def _got(value: Any) -> str:
    word = _TYPE_WORDS.get(type(value), type(value).__name__)
    if isinstance(value, bool):
        return f"{word} {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"{word} {value!r}"
    if isinstance(value, str):
        return f"строка «{value[:40]}»"
    return word


def _fail(message: str) -> NoReturn:
    raise DocumentInputError(message)


def _obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        _fail(f"поле {where} должно быть объектом {{…}}, а получено: {_got(value)}")
    return value


def _keys(d: dict, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> None:
    """Unknown fields are refused: in an archive nothing may be silently dropped."""
    required, optional = tuple(required), tuple(optional)
    allowed = required + optional
    for key in d:
        if key not in allowed:
            at = f"{where}.{key}" if where else str(key)
            _fail(f"неизвестное поле {at}; допустимые поля: {', '.join(allowed)}")
    for key in required:
        if key not in d:
            at = f"{where}.{key}" if where else key
            _fail(f"поле {at} не заполнено")


def _at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _text(d: dict, key: str, where: str, *, required: bool = True,
          max_len: int = 500) -> str | None:
    at = _at(where, key)
    value = d.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            _fail(f"поле {at} не заполнено")
        return None
    if not isinstance(value, str):
        _fail(f"поле {at} должно быть строкой, а получено: {_got(value)}")
    if len(value) > max_len:
        _fail(f"поле {at} слишком длинное: {len(value)} знаков при пределе {max_len}")
    if _CONTROL.search(value):
        _fail(f"поле {at} содержит управляющие символы (перевод строки, табуляцию и т. п.)")
    return value


def _int(d: dict, key: str, where: str, *, minimum: int = 0, maximum: int | None = None,
         required: bool = True) -> int | None:
    at = _at(where, key)
    value = d.get(key)
    if value is None:
        if required:
            _fail(f"поле {at} не заполнено")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(f"поле {at} должно быть целым числом, а получено: {_got(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"от {minimum}" + (f" до {maximum}" if maximum is not None else "")
        _fail(f"поле {at}: число {value} вне допустимых пределов ({bound})")
    return value


def _bool(d: dict, key: str, where: str) -> bool:
    at = _at(where, key)
    if key not in d:
        _fail(f"поле {at} не заполнено")
    value = d[key]
    if not isinstance(value, bool):
        _fail(f"поле {at} должно быть логическим значением (true или false), "
              f"а получено: {_got(value)}")
    return value


def _date(d: dict, key: str, where: str, *, required: bool = True) -> date | None:
    text = _text(d, key, where, required=required, max_len=10)
    if text is None:
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"поле {_at(where, key)}: «{text}» — не дата в виде ГГГГ-ММ-ДД")


def _datetime(d: dict, key: str, where: str) -> datetime:
    text = _text(d, key, where, max_len=40)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"поле {_at(where, key)}: «{text}» — не дата и время в виде "
              f"ГГГГ-ММ-ДДTчч:мм:сс+03:00")
    if value.tzinfo is None:
        _fail(f"поле {_at(where, key)}: у времени «{text}» не указан часовой пояс "
              f"(например, +03:00) — через 25 лет его будет не восстановить")
    return value


def _hex64(d: dict, key: str, where: str, *, required: bool = True) -> str | None:
    text = _text(d, key, where, required=required, max_len=64)
    if text is not None and not _HEX64.fullmatch(text):
        _fail(f"поле {_at(where, key)}: ожидается SHA-256 — 64 шестнадцатеричных знака "
              f"0–9, a–f (строчными), а получено «{text[:70]}»")
    return text


def _list(d: dict, key: str, where: str, *, empty: str | None = None) -> list:
    at = _at(where, key)
    value = d.get(key)
    if value is None:
        _fail(f"поле {at} не заполнено")
    if not isinstance(value, list):
        _fail(f"поле {at} должно быть списком […], а получено: {_got(value)}")
    if not value and empty:
        _fail(empty)
    return value


def _texts(values: list, where: str, *, max_len: int) -> None:
    """A list of strings, each named by its index: ``basis[1]``."""
    by_index = dict(enumerate(values))
    for i in by_index:
        _text(by_index, i, where, max_len=max_len)  # type: ignore[arg-type]


def _mark(value: Any, at: str, subject: str | None = None) -> str | None:
    """A mark is a string as the journal shows it («5», «зач», «н/а», «осв.»); null: none."""
    about = f" (предмет «{subject}»)" if subject else ""
    if value is None:
        return None
    if not isinstance(value, str):
        _fail(f"поле {at}{about}: отметка должна быть строкой, например \"5\", "
              f"а получено: {_got(value)}")
    if not value.strip():
        _fail(f"поле {at}{about}: пустая отметка — укажите null или уберите поле")
    if len(value) > _MARK_MAX or _CONTROL.search(value):
        _fail(f"поле {at}{about}: «{value[:40]}» не похоже на отметку "
              f"(не длиннее {_MARK_MAX} знаков, без управляющих символов)")
    return value


def _head(doc: dict, fmt: str) -> None:
    """``format`` and ``version`` come first: the rest means nothing without them."""
    if not isinstance(doc, dict):
        _fail(f"документ должен быть объектом JSON {{…}}, а получено: {_got(doc)}")
    if "format" not in doc:
        _fail("поле format не заполнено; ожидается один из форматов: " + ", ".join(FORMATS))
    if doc["format"] not in FORMATS:
        _fail(f"поле format: неизвестный формат «{doc['format']}»; "
              f"ожидается один из: {', '.join(FORMATS)}")
    if fmt and doc["format"] != fmt:
        _fail(f"поле format: здесь ожидается «{fmt}», а получено «{doc['format']}»")
    version = doc.get("version")
    if version is None:
        _fail(f"поле version не заполнено (формат {doc['format']}, версия {VERSION})")
    if version != VERSION or isinstance(version, bool):
        _fail(f"поле version: версия {version!r} формата {doc['format']} не поддерживается "
              f"(поддерживается версия {VERSION})")


def _check_school(doc: dict, *, head: bool) -> None:
    school = _obj(doc.get("school"), "school")
    _keys(school, "school", ("name",), ("full_name", "address", "head"))
    _text(school, "name", "school")
    _text(school, "full_name", "school", required=False)
    _text(school, "address", "school", required=False)
    _text(school, "head", "school", required=head, max_len=200)


def _check_year(doc: dict) -> None:
    year = _obj(doc.get("year"), "year")
    _keys(year, "year", ("name", "starts", "ends"))
    _text(year, "name", "year", max_len=20)
    starts, ends = _date(year, "starts", "year"), _date(year, "ends", "year")
    if starts >= ends:
        _fail(f"поле year.ends: конец учебного года {ends:%d.%m.%Y} не позже его начала "
              f"{starts:%d.%m.%Y}")


def _check_document(doc: dict, *, code: bool) -> None:
    d = _obj(doc.get("document"), "document")
    _keys(d, "document", ("id", "version", "issued_at"),
          ("short_code", "verify_url", "supersedes"))
    _text(d, "id", "document", max_len=100)
    _int(d, "version", "document", minimum=1)
    _datetime(d, "issued_at", "document")
    short = _text(d, "short_code", "document", required=code, max_len=35)
    if short is not None and not _SHORT_CODE.fullmatch(short):
        _fail(f"поле document.short_code: «{short}» — код проверки состоит из заглавных "
              f"латинских букв и цифр, группами через дефис, например 7KQ4-M2XD")
    url = _text(d, "verify_url", "document", required=code, max_len=300)
    if url is not None and not url.startswith(("https://", "http://")):
        _fail(f"поле document.verify_url: «{url}» — ожидается адрес страницы проверки, "
              f"начинающийся с https://")
    if (url is None) != (short is None):
        _fail("поля document.short_code и document.verify_url заполняются только вместе")
    sup = _text(d, "supersedes", "document", required=False, max_len=35)
    if sup is not None and not _SHORT_CODE.fullmatch(sup):
        _fail(f"поле document.supersedes: «{sup}» — ожидается код проверки заменяемого "
              f"документа, например 7KQ4-M2XD")


def _check_periods(periods: list, where: str) -> list[str]:
    codes: list[str] = []
    for i, period in enumerate(periods):
        at = _at(where, i)
        _obj(period, at)
        _keys(period, at, ("code", "name", "starts", "ends"))
        code = _text(period, "code", at, max_len=32)
        _text(period, "name", at, max_len=40)
        starts, ends = _date(period, "starts", at), _date(period, "ends", at)
        if starts > ends:
            _fail(f"поле {at}.ends: конец периода {ends:%d.%m.%Y} раньше его начала "
                  f"{starts:%d.%m.%Y}")
        if code in _RESERVED_CODES:
            _fail(f"поле {at}.code: код «{code}» занят (year — годовая отметка, exam — "
                  f"экзамен); назовите период иначе")
        if code in codes:
            _fail(f"поле {at}.code: код периода «{code}» повторяется")
        codes.append(code)
    return codes


def _check_transcript(doc: dict) -> None:
    kind = doc.get("kind")
    if kind not in ("period", "year"):
        _fail(f"поле kind: ожидается «period» (выписка за период) или «year» (табель за год), "
              f"а получено: {_got(kind) if kind is not None else 'пусто'}")
    common = ("format", "version", "kind", "school", "year", "document", "student", "rows")
    extra = ("class_teacher", "attendance", "decision")
    _keys(doc, "", common + (("period",) if kind == "period" else ("periods",)), extra)
    _check_school(doc, head=False)
    _check_year(doc)
    _check_document(doc, code=True)
    if kind == "period":
        codes = _check_periods([_obj(doc["period"], "period")], "period")
    else:
        codes = _check_periods(_list(doc, "periods", "", empty="в табеле за год нет периодов "
                                                               "(periods пуст)"), "periods")
    student = _obj(doc["student"], "student")
    _keys(student, "student", ("id", "surname", "name", "class"), ("patronymic", "birth_date"))
    _text(student, "id", "student", max_len=100)
    _text(student, "surname", "student", max_len=100)
    _text(student, "name", "student", max_len=100)
    _text(student, "patronymic", "student", required=False, max_len=100)
    _date(student, "birth_date", "student", required=False)
    _text(student, "class", "student", max_len=20)
    _text(doc, "class_teacher", "", required=False, max_len=200)
    _text(doc, "decision", "", required=False, max_len=300)
    if doc.get("attendance") is not None:
        att = _obj(doc["attendance"], "attendance")
        _keys(att, "attendance", ("lessons_missed", "ill"))
        missed = _int(att, "lessons_missed", "attendance")
        ill = _int(att, "ill", "attendance")
        if ill > missed:
            _fail(f"поле attendance.ill: пропусков по болезни ({ill}) больше, чем всего "
                  f"пропущено уроков ({missed})")
    rows = _list(doc, "rows", "", empty="в выписке нет итоговых отметок (rows пуст)")
    subjects: set[str] = set()
    marks = 0
    for i, row in enumerate(rows):
        at = _at("rows", i)
        _obj(row, at)
        _keys(row, at, ("subject", "finals"), ("year", "exam"))
        subject = _text(row, "subject", at, max_len=120)
        if subject in subjects:
            _fail(f"поле {at}.subject: предмет «{subject}» повторяется")
        subjects.add(subject)
        finals = _obj(row["finals"], f"{at}.finals")
        for code, mark in finals.items():
            if code not in codes:
                _fail(f"поле {at}.finals (предмет «{subject}»): период «{code}» не описан в "
                      f"{'period' if kind == 'period' else 'periods'} "
                      f"(известны: {', '.join(codes)})")
            marks += _mark(mark, f"{at}.finals.{code}", subject) is not None
        for key in ("year", "exam"):
            mark = _mark(row.get(key), f"{at}.{key}", subject)
            if mark is not None and kind == "period":
                what = "годовой отметки" if key == "year" else "отметки за экзамен"
                _fail(f"поле {at}.{key} (предмет «{subject}»): в выписке за период "
                      f"{what} быть не может — она бывает в табеле за год (kind: year)")
            marks += mark is not None
    if not marks:
        _fail("в выписке нет ни одной итоговой отметки: во всех строках rows пусты "
              "finals, year и exam")


def _check_summary_sheet(doc: dict) -> None:
    _keys(doc, "", ("format", "version", "school", "year", "document", "class", "periods",
                    "subjects", "has_exams", "students"))
    _check_school(doc, head=True)
    _check_year(doc)
    _check_document(doc, code=False)
    klass = _obj(doc["class"], "class")
    _keys(klass, "class", ("name", "grade"), ("class_teacher",))
    _text(klass, "name", "class", max_len=20)
    _int(klass, "grade", "class", minimum=1, maximum=12)
    _text(klass, "class_teacher", "class", required=False, max_len=200)
    codes = _check_periods(_list(doc, "periods", "", empty="в ведомости нет периодов "
                                                           "(periods пуст)"), "periods")
    has_exams = _bool(doc, "has_exams", "")
    subjects: dict[str, str] = {}
    for i, subject in enumerate(_list(doc, "subjects", "", empty="в ведомости нет предметов "
                                                                 "(subjects пуст)")):
        at = _at("subjects", i)
        _obj(subject, at)
        _keys(subject, at, ("code", "name"), ("short",))
        code = _text(subject, "code", at, max_len=32)
        if code in subjects:
            _fail(f"поле {at}.code: код предмета «{code}» повторяется")
        subjects[code] = _text(subject, "name", at, max_len=120)
        _text(subject, "short", at, required=False, max_len=16)
    lines = codes + ["year"] + (["exam"] if has_exams else [])
    marks = 0
    students = _list(doc, "students", "", empty="в ведомости нет обучающихся (students пуст)")
    for i, student in enumerate(students):
        at = _at("students", i)
        _obj(student, at)
        _keys(student, at, ("name", "finals"), ("id", "decision"))
        name = _text(student, "name", at, max_len=200)
        _text(student, "id", at, required=False, max_len=100)
        _text(student, "decision", at, required=False, max_len=300)
        finals = _obj(student["finals"], f"{at}.finals")
        for code, per_line in finals.items():
            where = f"{at}.finals.{code}"
            if code not in subjects:
                _fail(f"поле {where} ({name}): предмета с кодом «{code}» нет в subjects")
            _obj(per_line, where)
            for line, mark in per_line.items():
                if line not in lines:
                    if line == "exam":
                        _fail(f"поле {where}.exam ({name}): отметка за экзамен есть, а "
                              f"has_exams = false")
                    _fail(f"поле {where}.{line} ({name}): «{line}» — не период из periods "
                          f"и не year/exam (допустимо: {', '.join(lines)})")
                marks += _mark(mark, f"{where}.{line}", subjects[code]) is not None
    if not marks:
        _fail("в ведомости нет ни одной итоговой отметки (у всех students пусты finals)")


def _check_passport(doc: dict) -> None:
    _keys(doc, "", ("format", "version", "school", "year", "package"))
    _check_school(doc, head=True)
    _check_year(doc)
    package = _obj(doc["package"], "package")
    _keys(package, "package",
          ("name", "version", "sealed_at", "sealed_by", "root_digest", "ca_fingerprint",
           "seal_fingerprint", "files", "bytes"),
          ("previous_year_digest", "supersedes_digest"))
    _text(package, "name", "package", max_len=120)
    _int(package, "version", "package", minimum=1)
    _datetime(package, "sealed_at", "package")
    _text(package, "sealed_by", "package", max_len=200)
    for key in ("root_digest", "ca_fingerprint", "seal_fingerprint"):
        _hex64(package, key, "package")
    for key in ("previous_year_digest", "supersedes_digest"):
        _hex64(package, key, "package", required=False)
    _int(package, "files", "package", minimum=1)
    _int(package, "bytes", "package")


def _check_inventory(doc: dict) -> None:
    _keys(doc, "", ("format", "version", "school", "year", "package", "items"),
          ("compiled_by",))
    _check_school(doc, head=False)
    _check_year(doc)
    package = _obj(doc["package"], "package")
    _keys(package, "package", ("name", "version"))
    _text(package, "name", "package", max_len=120)
    _int(package, "version", "package", minimum=1)
    if doc.get("compiled_by") is not None:
        who = _obj(doc["compiled_by"], "compiled_by")
        _keys(who, "compiled_by", ("position", "name"))
        _text(who, "position", "compiled_by", max_len=120)
        _text(who, "name", "compiled_by", max_len=200)
    paths: set[str] = set()
    for i, item in enumerate(_list(doc, "items", "", empty="в описи нет файлов (items пуст)")):
        at = _at("items", i)
        _obj(item, at)
        _keys(item, at, ("path", "title", "size", "sha256"))
        path = _text(item, "path", at, max_len=400)
        if path in paths:
            _fail(f"поле {at}.path: файл «{path}» указан в описи дважды")
        paths.add(path)
        _text(item, "title", at, max_len=300)
        _int(item, "size", at)
        _hex64(item, "sha256", at)


def _check_person(value: Any, at: str) -> None:
    _obj(value, at)
    _keys(value, at, ("position", "name"))
    _text(value, "position", at, max_len=120)
    _text(value, "name", at, max_len=200)


def _check_destruction_act(doc: dict) -> None:
    kind = doc.get("kind")
    if kind not in ("documents", "personal_data"):
        _fail(f"поле kind: ожидается «documents» (акт о выделении к уничтожению документов) "
              f"или «personal_data» (акт об уничтожении персональных данных), а получено: "
              f"{_got(kind) if kind is not None else 'пусто'}")
    required = ("format", "version", "kind", "school", "act", "basis", "items", "commission")
    if kind == "personal_data":
        _keys(doc, "", required + ("personal_data", "log"), ("approver", "destruction"))
    else:
        _keys(doc, "", required, ("approver", "destruction"))
    _check_school(doc, head=doc.get("approver") is None)
    act = _obj(doc["act"], "act")
    _keys(act, "act", ("number", "date"), ("place",))
    _text(act, "number", "act", max_len=30)
    _date(act, "date", "act")
    _text(act, "place", "act", required=False, max_len=100)
    basis = _list(doc, "basis", "", empty="в акте не указано основание (basis пуст): "
                                          "примененные сроки хранения")
    _texts(basis, "basis", max_len=400)
    for i, item in enumerate(_list(doc, "items", "", empty="в акте нет ни одного дела "
                                                           "(items пуст)")):
        at = _at("items", i)
        _obj(item, at)
        _keys(item, at, ("title", "dates", "count", "retention"), ("note",))
        _text(item, "title", at, max_len=400)
        _text(item, "dates", at, max_len=40)
        _int(item, "count", at, minimum=1)
        _text(item, "retention", at, max_len=200)
        _text(item, "note", at, required=False, max_len=300)
    commission = _obj(doc["commission"], "commission")
    _keys(commission, "commission", ("chair", "members"))
    _check_person(commission["chair"], "commission.chair")
    members = _list(commission, "members", "commission",
                    empty="в комиссии нет членов (commission.members пуст)")
    for i, member in enumerate(members):
        _check_person(member, _at("commission.members", i))
    if doc.get("approver") is not None:
        _check_person(doc["approver"], "approver")
    if doc.get("destruction") is not None:
        done = _obj(doc["destruction"], "destruction")
        _keys(done, "destruction", ("date", "method"))
        _date(done, "date", "destruction")
        _text(done, "method", "destruction", max_len=300)
    if kind == "personal_data":
        pd = _obj(doc["personal_data"], "personal_data")
        _keys(pd, "personal_data",
              ("subjects", "categories", "system", "method", "reason", "destroyed_on"))
        _text(pd, "subjects", "personal_data", max_len=1000)
        categories = _list(pd, "categories", "personal_data",
                           empty="не указаны категории уничтоженных персональных данных "
                                 "(personal_data.categories пуст)")
        _texts(categories, "personal_data.categories", max_len=200)
        _text(pd, "system", "personal_data", max_len=300)
        _text(pd, "method", "personal_data", max_len=300)
        _text(pd, "reason", "personal_data", max_len=300)
        _date(pd, "destroyed_on", "personal_data")
        log = _list(doc, "log", "", empty="к акту об уничтожении персональных данных нужна "
                                          "выгрузка из журнала событий (log пуст)")
        for i, record in enumerate(log):
            at = _at("log", i)
            _obj(record, at)
            _keys(record, at, ("at", "event", "who"))
            _datetime(record, "at", at)
            _text(record, "event", at, max_len=400)
            _text(record, "who", at, max_len=200)


_CHECKS: dict[str, Callable[[dict], None]] = {
    TRANSCRIPT: _check_transcript, SUMMARY_SHEET: _check_summary_sheet,
    PASSPORT: _check_passport, INVENTORY: _check_inventory,
    DESTRUCTION_ACT: _check_destruction_act,
}


def check(doc: dict) -> None:
    """Validate any of the archive's input documents; raise ``DocumentInputError``."""
    _head(doc, "")
    _CHECKS[doc["format"]](doc)


def _check_as(doc: dict, fmt: str) -> None:
    _head(doc, fmt)
    _CHECKS[fmt](doc)


def document_json(doc: dict) -> bytes:
    """The exact bytes embedded as ``<format>.json`` in a transcript or a summary sheet."""
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# words and numbers as printed

_NBSP = "\u00a0"
_MARK_WORDS = {"зач": "зачтено", "зач.": "зачтено", "незач": "не зачтено",
               "незач.": "не зачтено", "н/а": "не аттестован(а)", "осв": "освобождён(а)",
               "осв.": "освобождён(а)"}


def _ru_date(text: str | None) -> str:
    return date.fromisoformat(text).strftime("%d.%m.%Y") if text else ""


def _ru_datetime(text: str) -> str:
    moment = datetime.fromisoformat(text)
    offset = moment.strftime("%z")
    return f"{moment:%d.%m.%Y %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _number(n: int) -> str:
    return f"{n:,}".replace(",", _NBSP)


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 файл, 2 файла, 5 файлов."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def human_size(n: int) -> str:
    """Bytes in the units people read: «512 байт», «1,5 КБ», «2,3 МБ» (powers of 1024)."""
    if n < 1024:
        return f"{n}{_NBSP}{plural(n, 'байт', 'байта', 'байт')}"
    value = float(n)
    for unit in ("КБ", "МБ", "ГБ", "ТБ"):
        value /= 1024
        if round(value, 1) < 1024 or unit == "ТБ":
            break
    return f"{value:.1f}".replace(".", ",") + f"{_NBSP}{unit}"


def digest_groups(hex_digest: str) -> str:
    """64 hex digits in groups of four, to be read aloud and compared by eye."""
    return " ".join(hex_digest[i:i + 4] for i in range(0, len(hex_digest), 4))


def _legend(marks: Iterable[str]) -> str:
    seen = dict.fromkeys(m for m in marks if m in _MARK_WORDS)
    if not seen:
        return ""
    return "Обозначения: " + "; ".join(f"{m} — {_MARK_WORDS[m]}" for m in seen) + "."


def _qr_svg(text: str) -> Markup:
    # a path of dark modules only, sized by CSS; the standard 4-module quiet zone is part of
    # the drawing, so a scanner finds the code even on a box drawn close around it
    return Markup(segno.make(text, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, light=None))


def _lower(position: str) -> str:
    """«Заместитель директора» inside a sentence; an abbreviation («ИТ-специалист») stays."""
    return position[0].lower() + position[1:] if position[1:2].islower() else position


def _full_name(student: dict) -> str:
    return " ".join(p for p in (student["surname"], student["name"],
                                student.get("patronymic")) if p)


# ---------------------------------------------------------------------------------------------
# what each document shows, computed in Python (Jinja only lays it out)


def _transcript_view(doc: dict) -> dict:
    d, school, year = doc["document"], doc["school"], doc["year"]
    year_kind = doc["kind"] == "year"
    student = _full_name(doc["student"])
    klass = doc["student"]["class"]
    periods = doc["periods"] if year_kind else [doc["period"]]
    has_exam = year_kind and any(r.get("exam") is not None for r in doc["rows"])
    if year_kind:
        heads = [p["name"] for p in periods] + ["Год"] + (["Экзамен"] if has_exam else [])
        title, subtitle = "Табель успеваемости", f"за {year['name']} учебный год"
    else:
        heads = ["Итоговая отметка"]
        title = "Выписка итоговых отметок"
        subtitle = f"за {periods[0]['name']} {year['name']} учебного года"
    rows = []
    shown: list[str] = []
    for r in doc["rows"]:
        marks = [r["finals"].get(p["code"]) or "" for p in periods]
        if year_kind:
            marks.append(r.get("year") or "")
            if has_exam:
                marks.append(r.get("exam") or "")
        shown += marks
        rows.append((r["subject"], marks))
    n = len(heads)
    w_mark = 25 if n == 1 else min(13, 60 // n)
    attendance = ""
    if doc.get("attendance"):
        a = doc["attendance"]
        attendance = (f"Пропущено уроков: {a['lessons_missed']}, в том числе по болезни: "
                      f"{a['ill']}.")
    supersedes = ""
    if d.get("supersedes"):
        supersedes = (f"Этот документ заменяет ранее выданный документ с кодом "
                      f"{d['supersedes']}.")
    return {
        "school_full": school.get("full_name") or school["name"],
        "address": school.get("address") or "",
        "title": title, "subtitle": subtitle, "student": student, "class_name": klass,
        "birth_date": _ru_date(doc["student"].get("birth_date")),
        "class_teacher": doc.get("class_teacher") or "",
        "heads": heads, "rows": rows, "w_mark": w_mark,
        "w_subject": 100 - w_mark * n, "legend": _legend(shown),
        "attendance": attendance, "decision": doc.get("decision") or "",
        "qr": _qr_svg(d["verify_url"]), "verify_url": d["verify_url"],
        "short_code": d["short_code"],
        "issued": (f"Документ № {d['id']}, версия {d['version']}, выдан "
                   f"{_ru_datetime(d['issued_at'])}."),
        "supersedes": supersedes,
        "docline": f"{title} {subtitle} · {student}, {klass} · код {d['short_code']}",
        "meta_title": f"{title} {subtitle} — {student}, {klass}",
    }


def _summary_sheet_view(doc: dict) -> dict:
    school, klass, year, d = doc["school"], doc["class"], doc["year"], doc["document"]
    subjects = doc["subjects"]
    lines = [(p["name"], p["code"]) for p in doc["periods"]] + [("Год", "year")]
    if doc["has_exams"]:
        lines.append(("Экзамен", "exam"))
    pupils, shown = [], []
    for n, s in enumerate(doc["students"], start=1):
        rows = []
        for label, code in lines:
            marks = [(s["finals"].get(c["code"]) or {}).get(code) or "" for c in subjects]
            shown += marks
            rows.append((label, marks))
        pupils.append({"num": n, "name": s["name"], "decision": s.get("decision") or "",
                       "lines": rows})
    a3 = len(subjects) > A4_MAX_SUBJECTS
    # column widths in % of the sheet: №, name, period, …subjects…, decision
    w_num, w_name, w_line, w_decision = (2.0, 11.0, 5.5, 11.0) if a3 else (2.5, 13.0, 7.5, 12.0)
    w_mark = round((100 - w_num - w_name - w_line - w_decision) / len(subjects), 3)
    abbreviated = [f"{c['short']} — {c['name']}" for c in subjects
                   if c.get("short") and c["short"] != c["name"]]
    legend = _legend(shown)
    if abbreviated:
        legend = ("Сокращения: " + "; ".join(abbreviated) + ". " + legend).strip()
    subtitle = f"{klass['name']} класс, {year['name']} учебный год"
    issued = (f"Документ № {d['id']}, версия {d['version']}, сформирован "
              f"{_ru_datetime(d['issued_at'])}.")
    if d.get("short_code"):
        issued += f" Код проверки {d['short_code']}: {d['verify_url']}."
    dense = len(subjects) > 16 and not a3
    return {
        "css": "sheet" + (" a3" if a3 else "") + (" dense" if dense else ""),
        "school_full": school.get("full_name") or school["name"],
        "address": school.get("address") or "", "subtitle": subtitle,
        "subjects": [c.get("short") or c["name"] for c in subjects], "pupils": pupils,
        "w_num": w_num, "w_name": w_name, "w_line": w_line, "w_decision": w_decision,
        "w_mark": w_mark, "legend": legend, "issued": issued,
        "class_teacher": klass.get("class_teacher") or "_" * 24, "head": school["head"],
        "docline": f"Сводная ведомость итоговых отметок · {subtitle} · документ № {d['id']}",
        "meta_title": f"Сводная ведомость итоговых отметок — {subtitle}",
    }


def _passport_view(doc: dict) -> dict:
    school, year, p = doc["school"], doc["year"], doc["package"]
    groups = digest_groups(p["root_digest"]).split(" ")
    prev, sup = p.get("previous_year_digest"), p.get("supersedes_digest")
    facts = [
        ("Архивный пакет", p["name"], False),
        ("Учебный год", year["name"], False),
        ("Версия пакета", str(p["version"]), False),
        ("Опечатан", _ru_datetime(p["sealed_at"]), False),
        ("Опечатал(а)", p["sealed_by"], False),
        ("Файлов в пакете", _number(p["files"]), False),
        ("Объём пакета", f"{human_size(p['bytes'])} ({_number(p['bytes'])} "
                         f"{plural(p['bytes'], 'байт', 'байта', 'байт')})", False),
        ("Контрольная сумма пакета предыдущего года",
         digest_groups(prev) if prev else "нет (первый пакет в цепочке)", bool(prev)),
        ("Заменяет версию пакета с контрольной суммой",
         digest_groups(sup) if sup else "нет (первая версия пакета за этот год)", bool(sup)),
        ("Отпечаток корневого сертификата школы (SHA-256)",
         digest_groups(p["ca_fingerprint"]), True),
        ("Отпечаток сертификата электронной печати системы (SHA-256)",
         digest_groups(p["seal_fingerprint"]), True),
    ]
    return {
        "school_full": school.get("full_name") or school["name"],
        "address": school.get("address") or "",
        "subtitle": f"{p['name']} · {year['name']} учебный год · версия {p['version']}",
        "about": ("Паспорт удостоверяет архивный пакет электронного журнала за учебный год: "
                  "напечатанная ниже контрольная сумма (SHA-256) однозначно соответствует "
                  "содержимому всех файлов пакета, и изменение хотя бы одного байта в любом "
                  "файле её изменит. При проверке сумма, вычисленная программой проверки, "
                  "должна совпасть с напечатанной группа за группой."),
        "digest_lines": [" ".join(groups[:8]), " ".join(groups[8:])],
        "qr": _qr_svg(p["root_digest"]), "facts": facts, "head": school["head"],
        "archivist": p["sealed_by"],
        "docline": f"Паспорт архива · {p['name']} · {digest_groups(p['root_digest'])[:19]}…",
        "meta_title": f"Паспорт архива — {p['name']}, {year['name']}",
    }


def _inventory_view(doc: dict) -> dict:
    school, year, p = doc["school"], doc["year"], doc["package"]
    items = doc["items"]
    total = sum(i["size"] for i in items)
    who = doc.get("compiled_by") or {}
    count = len(items)
    return {
        "school_full": school.get("full_name") or school["name"],
        "subtitle": f"{p['name']} · {year['name']} учебный год · версия {p['version']}",
        "rows": [(i["path"], i["title"], human_size(i["size"]), i["sha256"][:16])
                 for i in items],
        "totals": (f"Всего в описи {count} {plural(count, 'файл', 'файла', 'файлов')} общим "
                   f"объёмом {human_size(total)} ({_number(total)} "
                   f"{plural(total, 'байт', 'байта', 'байт')})."),
        "note": ("В графе SHA-256 приведены первые 16 знаков контрольной суммы файла; полные "
                 "суммы — в манифесте пакета."),
        "compiled_position": who.get("position") or "Опись составил(а)",
        "compiled_by": who.get("name") or "_" * 24,
        "docline": f"Опись · {p['name']} · версия {p['version']}",
        "meta_title": f"Опись документов архивного пакета {p['name']}",
    }


def _destruction_act_view(doc: dict) -> dict:
    school, act = doc["school"], doc["act"]
    personal = doc["kind"] == "personal_data"
    approver = doc.get("approver") or {"position": "Директор", "name": school["head"]}
    chair, members = doc["commission"]["chair"], doc["commission"]["members"]
    total = sum(i["count"] for i in doc["items"])
    dates = [i["dates"] for i in doc["items"]]
    number_line = f"{_ru_date(act['date'])} № {act['number']}"
    basis = "; ".join(doc["basis"])
    commission = [("Председатель комиссии", chair["position"], chair["name"])]
    commission += [("Член комиссии", m["position"], m["name"]) for m in members]
    done = doc.get("destruction")
    cases = plural(total, "дело (документ)", "дела (документа)", "дел (документов)")
    span = ", ".join(dict.fromkeys(dates))
    if personal:
        pd = doc["personal_data"]
        title = "об уничтожении персональных данных"
        people = "; ".join(f"{_lower(m['position'])} {m['name']}" for m in members)
        # Markup.format escapes every value; only the law's number is kept from breaking
        intro = [
            Markup("Комиссия в составе: председатель — {} {}; члены комиссии — {} составила "
                   "настоящий акт о том, что на основании {} персональные данные, обработка "
                   "которых осуществлялась в информационной системе «{}», уничтожены в "
                   "соответствии с Федеральным законом от 27.07.2006 "
                   '<span class="nobr">№ 152-ФЗ</span> «О персональных данных». Причина '
                   "уничтожения: {}.").format(
                _lower(chair["position"]), chair["name"], people, basis, pd["system"],
                pd["reason"]),
            "Уничтожены персональные данные, содержавшиеся в следующих документах и "
            "записях:"]
        pd_rows = [("Чьи персональные данные уничтожены", pd["subjects"]),
                   ("Категории персональных данных", "; ".join(pd["categories"])),
                   ("Информационная система", pd["system"]),
                   ("Способ уничтожения", pd["method"]),
                   ("Причина уничтожения", pd["reason"]),
                   ("Дата уничтожения", _ru_date(pd["destroyed_on"]))]
        outro = ["Восстановление уничтоженных персональных данных невозможно. Выгрузка из "
                 "журнала регистрации событий в информационной системе прилагается и является "
                 "неотъемлемой частью акта."]
        log = [(_ru_datetime(r["at"]), r["event"], r["who"]) for r in doc["log"]]
    else:
        title = "о выделении к уничтожению документов, не подлежащих хранению"
        intro = [f"На основании {basis} отобраны к уничтожению как не имеющие "
                 f"научно-исторической ценности и утратившие практическое значение "
                 f"следующие документы {school['name']}:"]
        if done:
            outro = [f"Документы в количестве {total} {cases} уничтожены "
                     f"{_ru_date(done['date'])} путём: {done['method']}."]
        else:
            outro = ["Документы в количестве ______ дел (документов) уничтожены "
                     "«____» ______________ 20____ г. путём "
                     "______________________________________________."]
        pd_rows, log = [], []
    return {
        "school_full": school.get("full_name") or school["name"],
        "address": school.get("address") or "",
        "approver_position": approver["position"], "approver": approver["name"],
        "number_line": number_line, "place": act.get("place") or "",
        "title": title, "intro": intro, "outro": outro,
        "rows": [{"title": i["title"], "dates": i["dates"], "count": i["count"],
                   "retention": i["retention"], "note": i.get("note") or ""}
                  for i in doc["items"]],
        "totals": f"Итого: {total} {cases}, крайние даты: {span}.",
        "pd": pd_rows, "commission": commission, "log": log,
        "log_intro": (f"Приложение к акту от {_ru_date(act['date'])} № {act['number']}: "
                      f"записи журнала регистрации событий информационной системы "
                      f"«{doc['personal_data']['system']}» об уничтожении персональных данных."
                      if personal else ""),
        "docline": f"Акт {title} · {_ru_date(act['date'])} № {act['number']}",
        "meta_title": f"Акт {title} от {_ru_date(act['date'])} № {act['number']}",
    }


# ---------------------------------------------------------------------------------------------
# rendering


@dataclass
class _Engine:
    env: Environment
    css: CSS
    fonts: FontConfiguration


@cache
def _engine() -> _Engine:
    """Templates, the parsed stylesheet and the font configuration: once per process."""
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    fonts = FontConfiguration()
    css = CSS(filename=str(_TEMPLATES / "print.css"), font_config=fonts)
    return _Engine(env, css, fonts)


class _HTML(HTML):
    """Our templates' HTML for WeasyPrint, two steps lighter than its own reading of a page.

    - No user-agent stylesheet: print.css carries the few base rules the templates need, and
      matching the whole HTML5 stylesheet cost ≈ 8 ms a transcript.
    - The element tree is built by the standard library (``_Tree``) instead of WeasyPrint's
      HTML5 parser, a pure-Python one that took ≈ 15 ms of a transcript's ≈ 200 (2.8 ms here).
      Only our own templates come here, and tests/archive/test_documents.py checks that every
      kind of document comes out byte for byte the same as through WeasyPrint's parser."""

    def __init__(self, string: str, base_url: str) -> None:
        self.base_url = base_url
        self.url_fetcher = URLFetcher()
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(_Tree.of(string), content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, *args, **kwargs):
        return []


class _Tree(HTMLParser):
    """An element tree of well-formed HTML — every element closed, except the void ones — the
    same tree as an HTML5 parser makes of it: an inline ``<svg>`` in the SVG namespace with its
    attributes' own case (``viewBox``), no whitespace before ``<head>``, and what follows
    ``</body>`` inside the body. A tag closed out of order is a mistake in a template."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                      "track", "wbr"})
    SVG = "{http://www.w3.org/2000/svg}"
    # the HTML5 parser's table of SVG attributes whose names are not all lower case
    SVG_NAMES = {n.lower(): n for n in (
        "attributeName attributeType baseFrequency baseProfile calcMode clipPathUnits diffuseConstant "
        "edgeMode filterUnits glyphRef gradientTransform gradientUnits kernelMatrix kernelUnitLength "
        "keyPoints keySplines keyTimes lengthAdjust limitingConeAngle markerHeight markerUnits markerWidth "
        "maskContentUnits maskUnits numOctaves pathLength patternContentUnits patternTransform patternUnits "
        "pointsAtX pointsAtY pointsAtZ preserveAlpha preserveAspectRatio primitiveUnits refX refY "
        "repeatCount repeatDur requiredExtensions requiredFeatures specularConstant specularExponent "
        "spreadMethod startOffset stdDeviation stitchTiles surfaceScale systemLanguage tableValues targetX "
        "targetY textLength viewBox viewTarget xChannelSelector yChannelSelector zoomAndPan").split()}

    @classmethod
    def of(cls, html: str) -> ElementTree.Element:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.tree.close()

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tree = ElementTree.TreeBuilder()
        self.depth = 0  # elements open
        self.svg = 0  # how deep inside an <svg>
        self.body: ElementTree.Element | None = None
        self.body_closed = False
        self.seen_head = False

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> ElementTree.Element:
        if tag == "svg" or self.svg:
            self.svg += 1
            return self.tree.start(self.SVG + tag, {self.SVG_NAMES.get(k, k): v or "" for k, v in attrs})
        element = self.tree.start(tag, {k: v or "" for k, v in attrs})
        if tag == "body":
            self.body = element
        self.seen_head = self.seen_head or tag == "head"
        return element

    def _end(self, tag: str) -> None:
        closed = self.tree.end(tag)
        if self.svg:
            self.svg -= 1
            tag = self.SVG + tag
        if closed.tag != tag:
            raise ValueError(f"шаблон документа: </{tag}> закрывает <{closed.tag}>")
        self.depth -= 1
        self.body_closed = self.body_closed or closed is self.body

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += 1
        self._start(tag, attrs)
        if tag in self.VOID:
            self._end(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += 1
        self._start(tag, attrs)
        self._end(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID:
            self._end(tag)

    def handle_data(self, data: str) -> None:
        if self.body_closed and self.body is not None:
            if len(self.body):
                self.body[-1].tail = (self.body[-1].tail or "") + data
            else:
                self.body.text = (self.body.text or "") + data
        elif not self.seen_head and self.depth == 1 and not data.strip():
            return  # whitespace before <head>: an HTML5 parser drops it
        else:
            self.tree.data(data)


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """No cycle collection while one document is laid out and written.

    A transcript makes ≈ 2 MB of short-lived boxes; collections in the middle of it scan them
    again and again (≈ 10 % of the time). Their garbage is collected once, right after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect(0)


def _finish(_document, pdf: pydyf.PDF) -> None:
    """The last touches before the file is written: each attachment listed once, and every
    object serialized once."""
    # WeasyPrint 70 lists each attachment twice in the catalog's /AF array
    af = pdf.catalog.get("AF")
    if af:
        af[:] = list(dict.fromkeys(af))
    # pydyf serializes every object twice when it writes the file identifier PDF/A asks for —
    # once to hash the file, once to write it —, compressing each stream twice at zlib's
    # slowest level: ≈ 10 % of a transcript's time. The objects are final here.
    pdf.objects[:] = [o if o.free == "f" else _Serialized(o) for o in pdf.objects]


class _Serialized(pydyf.Object):
    """A finished PDF object as the bytes pydyf made of it, in its place (same number)."""

    def __init__(self, obj: pydyf.Object) -> None:
        super().__init__()
        self.number, self.generation, self.offset = obj.number, obj.generation, obj.offset
        self._data, self._compressible = obj.data, obj.compressible

    @property
    def data(self) -> bytes:
        return self._data

    @property
    def compressible(self) -> bool:
        return self._compressible


def _moment(doc: dict) -> datetime | None:
    """The moment the document speaks of, for the PDF's own dates (no clock: the same input
    gives the same PDF)."""
    if doc["format"] in (TRANSCRIPT, SUMMARY_SHEET):
        return datetime.fromisoformat(doc["document"]["issued_at"])
    if doc["format"] == PASSPORT:
        return datetime.fromisoformat(doc["package"]["sealed_at"])
    if doc["format"] == DESTRUCTION_ACT:
        return datetime.combine(date.fromisoformat(doc["act"]["date"]), time(), UTC)
    return None


def _pdf(engine: _Engine, doc: dict, body: str, view: dict, *, attach: bool) -> bytes:
    """Lay out one document and write it as PDF/A-3b: its own metadata and, for the
    data-bearing documents, the input embedded as ``<format>.json`` (AFRelationship Data)."""
    title = view["meta_title"]
    html = engine.env.get_template("page.html").render(
        title=title, author=doc["school"]["name"], body=Markup(body))
    moment = _moment(doc)
    stamp = moment.isoformat(timespec="seconds") if moment else None
    attachments = []
    if attach:
        utc = moment.astimezone(UTC).replace(tzinfo=None) if moment else None
        attachments.append(Attachment(
            file_obj=io.BytesIO(document_json(doc)), name=f"{doc['format']}.json",
            description=(f"Данные документа в машиночитаемом виде ({doc['format']}, "
                         f"версия {doc['version']})"),
            created=utc, modified=utc, relationship="Data"))
    with _LOCK, _quiet_gc():
        rendered = _HTML(string=html, base_url=str(_TEMPLATES)).render(
            stylesheets=[engine.css], font_config=engine.fonts, **PDF_OPTIONS)
        rendered.metadata = DocumentMetadata(
            title=title, authors=[doc["school"]["name"]], description=view["docline"],
            generator="ezh archive", created=stamp, modified=stamp, lang="ru")
        return rendered.write_pdf(attachments=attachments, finisher=_finish,
                                  **PDF_OPTIONS)


def _render_one(doc: dict, fmt: str, template: str, view: Callable[[dict], dict],
                name: str, *, attach: bool) -> bytes:
    _check_as(doc, fmt)
    engine = _engine()
    v = view(doc)
    return _pdf(engine, doc, engine.env.get_template(template).render(**{name: v}), v,
                attach=attach)


def render_transcripts(docs: Sequence[dict]) -> list[bytes]:
    """Many transcripts, one PDF each, in the order given. All are checked before any is
    rendered; a refusal names the document (its number in the list and its pupil).

    Each is laid out alone: laying out a class as one HTML document and splitting its pages
    was measured no faster (the cost is in the boxes, not in starting a document), so the
    simpler way is kept; what is shared is the parsed stylesheet, fonts and templates."""
    docs = list(docs)
    errors = []
    for n, doc in enumerate(docs, start=1):
        try:
            _check_as(doc, TRANSCRIPT)
        except DocumentInputError as e:
            if len(docs) == 1:
                raise
            errors.append(f"документ № {n} из {len(docs)}{_who(doc)}: {e}")
    if errors:
        more = [f"… и ещё {len(errors) - 10}"] if len(errors) > 10 else []
        raise DocumentInputError("\n".join(errors[:10] + more))
    engine = _engine()
    template = engine.env.get_template("transcript.html")
    out = []
    for doc in docs:
        v = _transcript_view(doc)
        out.append(_pdf(engine, doc, template.render(t=v), v, attach=True))
    return out


def _who(doc: Any) -> str:
    try:
        s = doc["student"]
        return f" ({_full_name(s)}, {s['class']})"
    except (TypeError, KeyError):
        return ""


def render_transcript(doc: dict) -> bytes:
    """A pupil's transcript for a period («выписка») or a year («табель»), PDF/A-3b with its
    data embedded as ``ezh-transcript.json``."""
    return render_transcripts([doc])[0]


def render_summary_sheet(doc: dict) -> bytes:
    """«Сводная ведомость итоговых отметок» of a class (R-REP-1, R-ARC-2): A4 landscape, A3
    when the subjects do not fit; its data embedded as ``ezh-summary-sheet.json``."""
    return _render_one(doc, SUMMARY_SHEET, "summary_sheet.html", _summary_sheet_view, "s",
                       attach=True)


def render_passport(doc: dict) -> bytes:
    """«Паспорт архива»: one page with the package's root digest, to sign and stamp."""
    return _render_one(doc, PASSPORT, "passport.html", _passport_view, "p", attach=False)


def render_inventory(doc: dict) -> bytes:
    """«Опись» of a package: its files with sizes and the start of their SHA-256."""
    return _render_one(doc, INVENTORY, "inventory.html", _inventory_view, "i", attach=False)


def render_destruction_act(doc: dict) -> bytes:
    """«Акт о выделении к уничтожению документов, не подлежащих хранению», or with
    ``kind: personal_data`` the act on destroyed personal data with its event-log records."""
    return _render_one(doc, DESTRUCTION_ACT, "destruction_act.html", _destruction_act_view,
                       "a", attach=False)

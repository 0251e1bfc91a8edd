"""What a sealed year holds besides its PDFs (issue 12 item 6): the order-book extract of the
year's movement, the full journals of every class (CSV and ODS, a sheet per subject and
subgroup), and the audit-log extract of the year with the chain's head. Each writer puts files
under a payload folder and answers with their titles for the опись.

The audit extract is verifiable without ezh: every line of ``audit/events.jsonl`` is exactly the
JSON array the log hashes (``service.audit.chain.row_bytes``); its SHA-256 is the row's hash,
which the next line carries as its last element (``prev_hash``). ``audit/chain.txt`` names the
first and last rows and the head of the whole log at the moment of sealing."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, datetime, time
from pathlib import Path

from service.audit.chain import row_bytes, row_hash
from service.audit.tables import AuditEvent
from service.records import rules
from service.reports import writers
from service.reports.journal_export import journal_export
from service.reports.queries import Scope
from service.timetable.tables import Lesson

AUDIT_BATCH = 5_000

_MOVEMENT_SQL = """
SELECT o.number, o.dated, o.kind AS order_kind, o.title, co.number AS cancels_number, co.dated AS cancels_dated,
       m.kind, m.on_date, m.reason, p.id AS student, p.last_name, p.first_name, p.middle_name, p.birth_date,
       fc.name AS from_class, tc.name AS to_class, g.name AS group_name
FROM movement m
JOIN school_order o ON o.id = m.school_order
JOIN person p ON p.id = m.student
LEFT JOIN school_order co ON co.id = o.cancels
LEFT JOIN school_class fc ON fc.id = m.from_class
LEFT JOIN school_class tc ON tc.id = m.to_class
LEFT JOIN study_group g ON g.id = m.study_group
WHERE fc.year = {} OR tc.year = {} OR g.year = {}
ORDER BY o.dated, o.number, o.id, p.last_name, p.first_name, p.middle_name, p.id, m.id
"""

KINDS = {"enrol": "зачисление", "transfer": "перевод в другой класс", "withdraw": "выбытие",
         "promote": "перевод в следующий класс", "graduate": "выпуск", "groups": "группы", "cancel": "отмена",
         "repeat": "оставлен на повторное обучение", "group_in": "включение в группу",
         "group_out": "исключение из группы"}
MOVEMENT_HEADER = ["Приказ №", "Дата приказа", "Вид приказа", "Заголовок приказа", "Отменяет приказ",
                   "Фамилия", "Имя", "Отчество", "Дата рождения", "Движение", "Из класса", "В класс",
                   "Группа", "С даты", "Основание"]


def _ru(d: date | None) -> str:
    return d.strftime("%d.%m.%Y") if d else ""


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def write_movement(year: dict, payload: Path) -> dict[str, str]:
    """``movement/dvizhenie.csv``: every line of the order book that moved a pupil into, out of
    or within the year's classes and groups. One query."""
    rows = await Lesson.raw(_MOVEMENT_SQL, year["id"], year["id"], year["id"]).run()
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(MOVEMENT_HEADER)
    for r in rows:
        cancels = f"№ {r['cancels_number']} от {_ru(_as_date(r['cancels_dated']))}" if r["cancels_number"] else ""
        w.writerow([r["number"], _ru(_as_date(r["dated"])), KINDS.get(r["order_kind"], r["order_kind"]), r["title"],
                    cancels, r["last_name"], r["first_name"], r["middle_name"] or "",
                    _ru(_as_date(r["birth_date"])), KINDS.get(r["kind"], r["kind"]), r["from_class"] or "",
                    r["to_class"] or "", r["group_name"] or "", _ru(_as_date(r["on_date"])), r["reason"] or ""])
    target = payload / "movement" / "dvizhenie.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(out.getvalue(), encoding="utf-8")
    return {"movement/dvizhenie.csv": f"Движение учащихся за {year['name']} учебный год: выписка из книги "
                                      f"приказов (CSV, {len(rows)} строк)"}


async def write_journals(year: dict, classes: list[dict], payload: Path, today: date, school: str) -> dict[str, str]:
    """``journals/<класс>.csv`` and ``.ods``: each class's journals of the whole year — every
    lesson's grades and attendance, a section (sheet) per subject and subgroup, then the
    finals. Four queries a class."""
    titles = {}
    folder = payload / "journals"
    folder.mkdir(parents=True, exist_ok=True)
    for c in classes:
        scope = Scope("class", year, class_id=c["id"], class_name=c["name"])
        report = await journal_export(scope, year["starts_on"], year["ends_on"], year["name"], today, school)
        stem = rules.file_stem(c["name"])
        await asyncio.to_thread(_write_journal, report, folder / stem)
        what = f"Классный журнал {c['name']} класса за {year['name']} учебный год (отметки и посещаемость всех уроков)"
        titles[f"journals/{stem}.csv"] = f"{what}, CSV"
        titles[f"journals/{stem}.ods"] = f"{what}, ODS"
    return titles


_LESSON_LOG_SQL = """
SELECT l.on_date, l.number, s.name AS subject, g.name AS group_name, p.last_name, p.first_name, p.middle_name,
       e.topic, e.material, e.homework, e.comment, l.cancelled,
       (SELECT COUNT(*) FROM homework_individual h WHERE h.lesson = l.id AND h.removed_at IS NULL) AS individual,
       (SELECT COUNT(*) FROM homework_file f WHERE f.lesson = l.id AND f.removed_at IS NULL) AS files
FROM lesson l JOIN subject s ON s.id = l.subject JOIN person p ON p.id = l.taught_by
LEFT JOIN study_group g ON g.id = l.study_group
LEFT JOIN lesson_entry e ON e.lesson = l.id
WHERE (l.school_class = {} OR l.study_group IN (SELECT id FROM study_group WHERE school_class = {}))
  AND l.on_date >= {} AND l.on_date <= {}
ORDER BY s.name, g.name, l.on_date, l.number, l.id
"""
LESSON_LOG_HEADER = ["Дата", "Урок", "Предмет", "Группа", "Провёл", "Тема", "Пройдено", "Домашнее задание",
                     "Индивидуальных заданий", "Файлов к заданию", "Замечание", "Отменён"]


async def write_lesson_logs(year: dict, classes: list[dict], payload: Path) -> dict[str, str]:
    """``journals/<класс>-uroki.csv``: the journal's right-hand page — every lesson of the year
    with its topic, material covered, homework (the number of individual tasks and files) and
    who taught it. One query a class."""
    titles = {}
    for c in classes:
        rows = await Lesson.raw(_LESSON_LOG_SQL, c["id"], c["id"], year["starts_on"], year["ends_on"]).run()
        out = io.StringIO(newline="")
        w = csv.writer(out, delimiter=";", lineterminator="\r\n")
        w.writerow(LESSON_LOG_HEADER)
        for r in rows:
            who = f"{r['last_name']} {r['first_name'][:1]}. {(r['middle_name'] or '')[:1]}{'.' if r['middle_name'] else ''}"
            w.writerow([_ru(_as_date(r["on_date"])), r["number"], r["subject"], r["group_name"] or "", who.strip(),
                        r["topic"] or "", r["material"] or "", r["homework"] or "", r["individual"], r["files"],
                        r["comment"] or "", "да" if r["cancelled"] else ""])
        name = f"journals/{rules.file_stem(c['name'])}-uroki.csv"
        target = payload / name
        target.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(target.write_text, out.getvalue(), encoding="utf-8")
        titles[name] = (f"Учёт проведённых занятий {c['name']} класса за {year['name']} учебный год: темы, "
                        f"домашние задания ({len(rows)} уроков), CSV")
    return titles


def _write_journal(report, stem: Path) -> None:
    """CSV and ODS of one class's journals (a thread: the ODS is built whole in memory)."""
    with open(stem.with_name(stem.name + ".csv"), "wb") as fh:
        for chunk in writers.stream(report, "csv", delimiter=";", guard_formulas=False):
            fh.write(chunk)
    stem.with_name(stem.name + ".ods").write_bytes(writers.write_ods(report))


def audit_span(year: dict, next_start: date | None, moment: datetime, tz) -> tuple[datetime, datetime]:
    """The audit rows a year's package carries: from the year's first day until the next year
    starts (the summer's closing work included), or until the moment of sealing if earlier."""
    start = datetime.combine(year["starts_on"], time(), tz)
    end = datetime.combine(next_start, time(), tz) if next_start else moment
    return start, min(end, moment)


async def write_audit(year: dict, payload: Path, start: datetime, end: datetime) -> tuple[dict[str, str], dict]:
    """``audit/events.jsonl`` and ``audit/chain.txt``. Reads the log in batches: a year of a
    big school is millions of rows, never all in memory."""
    folder = payload / "audit"
    folder.mkdir(parents=True, exist_ok=True)
    first = last = None
    count = 0
    after = 0
    fh = await asyncio.to_thread(open, folder / "events.jsonl", "wb")
    try:
        while True:
            rows = await AuditEvent.select().where(
                (AuditEvent.seq > after) & (AuditEvent.at >= start) & (AuditEvent.at < end)
            ).order_by(AuditEvent.seq).limit(AUDIT_BATCH).run()
            if not rows:
                break
            await asyncio.to_thread(fh.write, b"".join(row_bytes(r) + b"\n" for r in rows))
            first = first or rows[0]
            last = rows[-1]
            count += len(rows)
            after = rows[-1]["seq"]
    finally:
        await asyncio.to_thread(fh.close)
    head = await AuditEvent.select(AuditEvent.seq, AuditEvent.hash).order_by(
        AuditEvent.seq, ascending=False).first().run()
    info = {"count": count, "first_seq": first["seq"] if first else None, "last_seq": last["seq"] if last else None,
            "last_hash": row_hash(last) if last else None, "head_seq": head["seq"] if head else None,
            "head_hash": head["hash"] if head else None}
    lines = [
        f"Выписка журнала аудита за {year['name']} учебный год",
        f"Период: с {start.isoformat(timespec='seconds')} до {end.isoformat(timespec='seconds')}",
        f"Записей: {count}",
        f"Первая запись: № {info['first_seq'] or '—'}; её предыдущий хеш: {first['prev_hash'] if first else '—'}",
        f"Последняя запись: № {info['last_seq'] or '—'}; её хеш: {info['last_hash'] or '—'}",
        f"Голова цепочки журнала при запечатывании: № {info['head_seq'] or '—'}; хеш: {info['head_hash'] or '—'}",
        "",
        "Каждая строка events.jsonl — массив JSON [seq, at, actor_id, actor_name, address, action, "
        "object_type, object_id, old, new, reason, prev_hash] ровно в тех байтах, что хешируются.",
        "SHA-256 строки (без перевода строки) — хеш записи; следующая строка несёт его последним элементом.",
        "Проверка: python3 -c \"import hashlib,json,sys; p=None",
        "for l in open(sys.argv[1],'rb'): r=json.loads(l); assert p is None or r[-1]==p, r[0]; "
        "p=hashlib.sha256(l.rstrip(b'\\n')).hexdigest()",
        "print('цепочка цела, последний хеш', p)\" events.jsonl",
    ]
    (folder / "chain.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    titles = {"audit/events.jsonl": f"Журнал аудита за {year['name']} учебный год: {count} записей с цепочкой хешей",
              "audit/chain.txt": "Голова цепочки журнала аудита и как её проверить"}
    return titles, info

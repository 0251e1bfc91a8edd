"""The verification page's answers (issue 12 item 4): by the short code printed on a document,
or by the PDF itself — valid, superseded by a newer version, modified, unknown — with who sealed
it and when. The page is open to anyone (an employer, another school), so an answer names the
pupil by initials only: enough for the holder of the paper, too little to harvest a class list
by guessing codes.

A file is checked twice and independently: its seal (``archive.pdfsign`` against the school's
CA certificates, old ones included) and the register (the SHA-256 of the signed bytes)."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from service.records import rules
from service.records.issue import seal_dir
from service.settings import get_settings
from service.timetable.tables import Lesson

UPLOAD_MAX = 20 * 1024 * 1024  # a transcript is tens of kilobytes; a 200 MB upload is refused

_DOC_SQL = """
SELECT d.id, d.kind, d.short_code, d.version, d.title, d.sha256, d.issued_at, d.superseded_at,
       d.superseded_by, d.certificate, y.name AS year_name, sp.name AS period_name, c.name AS class_name,
       p.last_name, p.first_name, n.short_code AS newer_code
FROM issued_document d
JOIN academic_year y ON y.id = d.year
LEFT JOIN study_period sp ON sp.id = d.period
LEFT JOIN school_class c ON c.id = d.school_class
LEFT JOIN person p ON p.id = d.student
LEFT JOIN issued_document n ON n.id = d.superseded_by
WHERE %s
"""


@dataclass
class Answer:
    status: str  # valid | superseded | modified | unknown | untrusted | unsigned | not_pdf | bad_code
    headline: str
    details: list[tuple[str, str]] = field(default_factory=list)

    @property
    def good(self) -> bool:
        return self.status in ("valid", "superseded")


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(get_settings().tz)
    return f"{local:%d.%m.%Y %H:%M}"


def _describe(doc: dict) -> list[tuple[str, str]]:
    what = doc["period_name"] or "учебный год"
    rows = [("Документ", "Выписка успеваемости" if doc["kind"] == "transcript" else doc["kind"]),
            ("Период", f"{what} {doc['year_name']}"),
            ("Ученик", f"{rules.initials(doc['last_name'] or '', doc['first_name'] or '')}"
                       + (f", {doc['class_name']} класс" if doc["class_name"] else "")),
            ("Код", rules.shown_code(doc["short_code"])),
            ("Версия", str(doc["version"])),
            ("Выдан", _when(doc["issued_at"])),
            ("Заверен", f"электронной печатью системы «{get_settings().school.name}» (контроль целостности)"),
            ("SHA-256 файла", doc["sha256"])]
    if doc["superseded_at"] is not None:
        rows.append(("Заменён", f"{_when(doc['superseded_at'])} исправленной версией"
                                + (f" с кодом {rules.shown_code(doc['newer_code'])}" if doc["newer_code"] else "")))
    return rows


def _registered(doc: dict) -> Answer:
    if doc["superseded_at"] is not None:
        return Answer("superseded", "Документ подлинный, но заменён исправленной версией: запросите "
                                    "у школы действующую.", _describe(doc))
    return Answer("valid", "Документ подлинный: выдан школой и не изменялся.", _describe(doc))


async def by_code(text: str) -> Answer:
    code = rules.normalise_short_code(text)
    if code is None:
        return Answer("bad_code", "Код — восемь знаков, как на документе, например 7KQ4-M2XD.")
    rows = await Lesson.raw(_DOC_SQL % "d.short_code = {}", code).run()
    if not rows:
        return Answer("unknown", f"Документа с кодом {rules.shown_code(code)} школа не выдавала. "
                                 "Проверьте код; если он верен — документ не подлинный.")
    answer = _registered(rows[0])
    answer.headline = answer.headline.replace("Документ подлинный", "Код действителен") + (
        " Чтобы убедиться, что бумага или файл у вас в руках совпадает с выданным, загрузите PDF ниже.")
    return answer


async def by_file(data: bytes) -> Answer:
    """Check an uploaded PDF: its seal first, then the register."""
    from archive import keys, pdfsign

    try:
        roots = keys.trust_roots(seal_dir())
    except keys.KeyStoreError:
        roots = []
    # pyHanko's checks run their own event loop: in a thread, away from the service's
    verdict = await asyncio.to_thread(pdfsign.verify_pdf, data, roots)
    digest = hashlib.sha256(data).hexdigest()
    rows = await Lesson.raw(_DOC_SQL % "d.sha256 = {}", digest).run() if verdict.status == "valid" else []
    seal = [("Заверил", verdict.signer or "—"), ("Когда", _when(verdict.signed_at))] if verdict.signer else []
    if verdict.status == "valid":
        if rows:
            answer = _registered(rows[0])
            answer.details += seal
            return answer
        return Answer("unknown", "Печать системы верна, но в реестре школы такого документа нет. "
                                 "Обратитесь в школу.", [*seal, ("SHA-256 файла", digest)])
    headline = {
        "modified": "Документ изменён после заверения: он не совпадает с выданным школой.",
        "untrusted": "Документ заверен не печатью этой школы.",
        "unsigned": "В документе нет электронной печати системы: проверить его нельзя.",
        "not_pdf": "Это не PDF-документ или файл повреждён.",
    }.get(verdict.status, verdict.message)
    details = [("Причина", verdict.message), *seal] if verdict.message and verdict.message != headline else seal
    return Answer(verdict.status, headline, details)

"""Template contexts of the archive pages, in the form tests/test_templates.py merges."""

from __future__ import annotations

from datetime import UTC, datetime

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.records.jobs import Job
from service.records.verify import Answer

DEPUTY = Viewer(3, "zavuch", 3, "Орлова Галина Петровна", ("deputy",), PERMISSION_CODES, role_names=("Завуч",))
SEAL = {"ok": True, "subject": "ezh: электронная печать системы", "not_after": "28.11.2029", "days_left": 1095,
        "ca_fingerprint": "AB:CD:" * 10 + "EF"}
DOCS = [{"id": 5, "short_code": "7KQ4M2XD", "code": "7KQ4-M2XD", "version": 2, "superseded_at": None,
         "title": "Выписка успеваемости: Морозов Артём, 5А, учебный год 2025/2026", "class_name": "5А",
         "issued_at": datetime(2026, 6, 30, 9, 0, tzinfo=UTC), "size": 40000, "file": "documents/x.pdf",
         "signatures": 1, "attached": [{"id": 4, "filename": "vypiska.pdf.sig", "sha256": "cd" * 32,
                                        "attached_at": datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "note": ""}]},
        {"id": 4, "short_code": "7KQ4M2XA", "code": "7KQ4-M2XA", "version": 1,
         "superseded_at": datetime(2026, 6, 30, 9, 0, tzinfo=UTC),
         "title": "Выписка успеваемости: Морозов Артём, 5А, учебный год 2025/2026", "class_name": "5А",
         "issued_at": datetime(2026, 6, 29, 9, 0, tzinfo=UTC), "size": 40000, "file": "documents/y.pdf"}]
ARCHIVE = {"documents": DOCS, "years": [{"id": 2, "name": "2025/2026", "is_current": False,
                                         "closed_at": datetime(2026, 8, 31, tzinfo=UTC)}],
           "periods": [{"id": 7, "year": 2, "name": "1 четверть", "grade_from": 1, "grade_to": 9}],
           "classes": [{"id": 9, "year": 2, "name": "5А"}], "seal": SEAL, "may_issue": True, "may_attach": True,
           "searched": None,
           "errors": {}, "typed": {}, "flash": "27", "may_seal": True, "reopened": {2}, "latest": {12},
           "sealable": [{"id": 2, "name": "2025/2026"}],
           "night_check": {"at": datetime(2026, 7, 6, 3, 0, tzinfo=UTC), "ok": False,
                           "message": "не прошли проверку 1 из 2: ezh-2025-2026-v1: файл изменён"}, "said": {"sealed": "ezh-2025-2026-v2"},
           "sealed": [
               {"id": 12, "year": 2, "year_name": "2025/2026", "name": "ezh-2025-2026-v2", "version": 2,
                "sealed_at": datetime(2026, 6, 30, 16, 0, tzinfo=UTC), "last_name": "Орлова", "first_name": "Галина",
                "files": 2614, "size": 98765432, "size_text": "94,2 МБ", "root_digest": "ab" * 32,
                "verified_at": datetime(2026, 7, 6, 3, 0, tzinfo=UTC), "verified_ok": True, "verify_message": "",
                "reopened_at": None, "reopen_reason": "", "passport_file": "years/ezh-2025-2026-v2-pasport.pdf",
                "signatures": [{"id": 3, "filename": "tagmanifest-sha256.txt.sig", "sha256": "ef" * 32,
                                "attached_at": datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "note": "подписал директор"}]},
               {"id": 11, "year": 2, "year_name": "2025/2026", "name": "ezh-2025-2026-v1", "version": 1,
                "sealed_at": datetime(2026, 6, 29, 16, 0, tzinfo=UTC), "last_name": None, "first_name": None,
                "files": 2614, "size": 98765000, "size_text": "94,2 МБ", "root_digest": "cd" * 32,
                "verified_at": datetime(2026, 7, 6, 3, 0, tzinfo=UTC), "verified_ok": False,
                "verify_message": "tar: файл data/summary/5А.pdf изменён",
                "reopened_at": datetime(2026, 6, 30, 9, 0, tzinfo=UTC), "reopen_reason": "Исправление отметки",
                "passport_file": None}]}
JOBS = [Job("a1", "seal", "Запечатывание учебного года 2025/2026", "Орлова Г. П.", 3,
             datetime(2026, 6, 30, 15, 0, tzinfo=UTC), "сводные ведомости", "running", ""),
        Job("a0", "issue", "Выпуск выписок успеваемости 2025/2026", "Орлова Г. П.", 3,
            datetime(2026, 6, 30, 14, 0, tzinfo=UTC), "готово 2261 из 2261", "done", "Выпущено выписок: 2261."),
        Job("9f", "issue", "Выпуск выписок успеваемости 2024/2025", "Орлова Г. П.", 3,
            datetime(2026, 6, 29, 14, 0, tzinfo=UTC), "", "refused", "Учебный год 2024/2025 запечатан")]
ARCHIVE["jobs"] = JOBS
VALID = Answer("valid", "Документ подлинный: выдан школой и не изменялся.",
               [("Ученик", "А. М., 5А класс"), ("SHA-256 файла", "ab" * 32)])

CONTEXTS = {
    "records/archive.html": (DEPUTY, ARCHIVE, "Выпустить выписки успеваемости"),
    "records/_jobs.html": (DEPUTY, {"jobs": JOBS}, "Страницу можно закрыть: работа продолжается на сервере"),
    "records/verify.html": (None, {"answer": VALID, "code": "7KQ4-M2XD", "error": "", "throttled": False},
                            "Документ подлинный: выдан школой и не изменялся."),
}
PARTIALS: set[str] = set()

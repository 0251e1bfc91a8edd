"""Template contexts of the report pages, in the form tests/test_templates.py merges."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from service.accounts.rights import PERMISSION_CODES
from service.accounts.viewer import Viewer
from service.reports import writers
from service.reports.catalogue import REPORTS
from service.reports.model import Column, Report, Section, header_runs
from service.reports.queries import Scope

DEPUTY = Viewer(3, "zavuch", 3, "Орлова Галина Петровна", ("deputy",), PERMISSION_CODES, role_names=("Завуч",))
YEAR = {"id": 2, "name": "2025/2026", "starts_on": date(2025, 9, 1), "ends_on": date(2026, 5, 31), "is_current": False}
PERIOD = {"id": 7, "name": "1 четверть", "number": 1, "scheme": "quarters", "grade_from": 1, "grade_to": 9,
          "starts_on": date(2025, 9, 1), "ends_on": date(2025, 10, 25)}
REPORT = Report(
    code="performance", title="Успеваемость и качество знаний: год", scope="вся школа, 2025/2026 учебный год",
    made_at=datetime(2026, 6, 30, 9, 0, tzinfo=UTC), school="Школа № 1",
    sections=[Section("Итоги по классам",
                      [Column("Класс"), Column("Учеников", "int"), Column("«5»", "int", 5, "Отметок"),
                       Column("«4»", "int", 5, "Отметок"), Column("Качество, %", "percent"),
                       Column("Средний балл", "decimal")],
                      [["5А", 27, 40, 120, Decimal("55.6"), Decimal("4.02")], ["5Б", 25, 30, 100, None, None]],
                      totals=["Итого", 52, 70, 220, Decimal("53.8"), Decimal("3.98")],
                      notes=["Классы без итоговых отметок (в отчёт не входят): 1А."]),
              Section("Отличники: 1", [Column("Ученик"), Column("Класс")], [["Морозов Артём Дмитриевич", "5А"]])],
    signatures=["Директор школы"], stamp=True, landscape=True,
    notes=["Успеваемость — доля учеников без «2» и «н/а»."])

CONTEXTS = {
    "reports/index.html": (DEPUTY, {"reports": REPORTS, "year": YEAR, "years": [YEAR],
                                    "classes": [{"id": 3, "name": "5А", "grade": 5}], "periods": [PERIOD],
                                    "grades": [5], "school_wide": True,
                                    "teachers": [{"id": 4, "last_name": "Попова", "first_name": "Мария",
                                                  "middle_name": "Сергеевна"}],
                                    "subjects": [{"id": 3, "name": "Математика"}]}, "Выполнение программы"),
    "reports/report.html": (DEPUTY, {"report": REPORT, "formats": writers.FORMATS, "query": "year=2",
                                     "show": writers.cell_text, "header_runs": header_runs, "years": [YEAR],
                                     "classes": [], "scope": Scope("school", YEAR), "periods": [PERIOD],
                                     "period": None, "grades": [5]}, "М. П."),
}
PARTIALS: set[str] = set()

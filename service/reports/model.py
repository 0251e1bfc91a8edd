"""What a report is, whatever it reports (issue 11): a title, what it covers, one or more
sections — each a table with typed columns, rows and an optional totals row — notes, and the
signature lines of a printed form. Queries build it; the writers (``writers.py``) turn the same
object into PDF, ODS, XLSX, CSV, HTML or TXT, and the page shows it. Values are Python values
(``int``, ``Decimal``, ``date``, ``str``, ``None`` for an empty cell), never preformatted text,
so that spreadsheets get numbers as numbers and dates as dates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from service.reports.charts import Chart

Kind = Literal["text", "int", "decimal", "percent", "date", "mark", "link"]
Value = str | int | Decimal | date | datetime | None


@dataclass(frozen=True)
class Column:
    """``kind``: text; int; decimal (two places); percent (a number 0–100 with one place, shown
    with «%»); date; mark (a grade as text — «5», «зач», «н/а» — centred); link (a path of the
    journal, «/journal/c5-s3»: a link on the page, text in files). ``width``: characters,
    for spreadsheets and text; ``group``: a header spanning neighbouring columns with the same
    group («1 четв.» over «матем.», «рус.»)."""

    title: str
    kind: Kind = "text"
    width: int = 10
    group: str = ""


@dataclass
class Section:
    title: str
    columns: list[Column]
    rows: Iterable[list[Value]]  # a list, or a generator for big exports (streamed)
    totals: list[Value] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    """``code``: the report's name in URLs and ``ezh report`` («summary-sheet»); ``scope``: what
    it covers in words («5А, 2025/2027 учебный год»); ``signatures``: lines of a printed form
    («Директор школы», «Классный руководитель»); ``landscape``: printed across the page."""

    code: str
    title: str
    scope: str
    sections: list[Section]
    made_at: datetime
    school: str = ""
    notes: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    landscape: bool = False
    stamp: bool = False  # «М. П.» (place for the stamp) under the signatures
    charts: list[Chart] = field(default_factory=list)  # SVG, for the page, PDF and HTML; the numbers are in sections

    @property
    def filename(self) -> str:
        """A safe file name stem: the code and the scope in Latin letters and digits."""
        from service.reports.names import slug

        return f"{self.code}-{slug(self.scope)}"


def header_runs(columns: list[Column]) -> list[tuple[str, list[Column]]]:
    """Neighbouring columns of the same ``group`` together, in order: («», [№]), («Отметок»,
    [«5», «4», …]). A run with an empty group is columns without a group header."""
    runs: list[tuple[str, list[Column]]] = []
    for col in columns:
        if runs and runs[-1][0] == col.group:
            runs[-1][1].append(col)
        else:
            runs.append((col.group, [col]))
    return runs


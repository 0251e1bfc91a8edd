"""A report → a file (issue 11 item 9): PDF (WeasyPrint through templates/pdf/report.html), ODS
(odfpy), XLSX (xlsxwriter), CSV, standalone HTML and plain text, from the same ``Report``.

Spreadsheets get values as they are — numbers as numbers, dates as dates, text as text (a cell
beginning with «=» stays text); the formats people read (PDF, HTML, TXT) get them as a Russian
reader writes them: «4,25», «87,5 %», «23.11.2026». A percent column in a spreadsheet or CSV is
a number 0–100 with one place and its header says «%» (not a 0–1 fraction: the same number the
page shows, and it survives a CSV round trip).

CSV, TXT and HTML stream (``stream``): a section whose rows are a generator is read a chunk at a
time, so 100,000 rows never sit in memory; XLSX switches xlsxwriter to ``constant_memory`` for
such a section. PDF and ODS build the whole document: they are for what fits on paper."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sized
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from service.reports.model import Column, Report, Section, Value

FORMATS: dict[str, tuple[str, str, str]] = {
    "pdf": ("application/pdf", "pdf", "PDF для печати"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods", "Таблица ODS (LibreOffice)"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
             "Таблица Excel (XLSX)"),
    "csv": ("text/csv; charset=utf-8", "csv", "CSV (текст с разделителями)"),
    "html": ("text/html; charset=utf-8", "html", "Веб-страница (HTML)"),
    "txt": ("text/plain; charset=utf-8", "txt", "Простой текст (TXT)"),
    "json": ("application/json", "json", "JSON (для программ)"),
}
STREAMED = frozenset({"csv", "txt", "html"})  # the formats ``stream`` yields chunk by chunk

TEMPLATE = "pdf/report.html"
CHUNK = 64 * 1024  # characters gathered before a chunk is yielded
BIG_SECTION = 5_000  # rows: above this (or a generator, whose length is unknown) XLSX writes row by row
TXT_MEASURED_ROWS = 1_000  # rows of a generator read ahead to size the text columns
SIGNATURE_BLANKS = "____________ / ____________ /"
A3_FROM_COLUMNS = 24  # wider tables do not fit A4 landscape readably
NUMERIC = frozenset({"int", "decimal", "percent"})
PLACES = {"decimal": Decimal("0.01"), "percent": Decimal("0.1")}


# ---------------------------------------------------------------------------------- values


def local_time(value: datetime) -> datetime:
    """An aware moment in the school's time zone, without the zone (what a sheet can hold)."""
    if value.tzinfo is None:
        return value
    from service.settings import get_settings

    return value.astimezone(get_settings().tz).replace(tzinfo=None)


def number_text(value: int | float | Decimal, kind: str, point: str = ",") -> str:
    """«4,25» in a decimal column (two places, rounded half up as a teacher rounds), «87,5» in a
    percent one, the number as it is elsewhere; ``point`` is the decimal separator."""
    if kind in PLACES:
        text = str(Decimal(str(value)).quantize(PLACES[kind], rounding=ROUND_HALF_UP))
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return text.replace(".", point)


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def cell_text(value: Value, column: Column, point: str = ",", percent_sign: bool = True) -> str:
    """A value as a reader sees it: «» for None, «23.11.2026», «4,25», «87,5 %», text as it is."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{local_time(value):%d.%m.%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if is_number(value):
        text = number_text(value, column.kind, point)  # type: ignore[arg-type]
        return f"{text} %" if percent_sign and column.kind == "percent" else text
    return str(value)


def machine_title(column: Column) -> str:
    """A header for spreadsheets and CSV, where a percent column holds plain numbers."""
    if column.kind == "percent" and "%" not in column.title:
        return f"{column.title}, %"
    return column.title


def fitted(row: Iterable[Value], n: int) -> list[Value]:
    """A row as long as the columns: a short one padded with empty cells, extra cells dropped."""
    cells = list(itertools.islice(row, n))
    return cells + [None] * (n - len(cells))


def group_spans(columns: list[Column]) -> list[tuple[str, int, int]]:
    """(group, first column, how many) for each run of neighbours with the same group; a column
    without a group is a run of its own with group «»."""
    spans: list[tuple[str, int, int]] = []
    for i, column in enumerate(columns):
        if column.group and spans and spans[-1][0] == column.group:
            group, first, count = spans[-1]
            spans[-1] = (group, first, count + 1)
        else:
            spans.append((column.group, i, 1))
    return spans


def has_groups(columns: list[Column]) -> bool:
    return any(column.group for column in columns)


def made_at_text(report: Report) -> str:
    return f"{local_time(report.made_at):%d.%m.%Y %H:%M}"


def school_of(report: Report) -> str:
    if report.school:
        return report.school
    from service.settings import get_settings

    return get_settings().school.name


def _chunked(pieces: Iterable[str], size: int = CHUNK) -> Iterator[bytes]:
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer).encode("utf-8")
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


# ---------------------------------------------------------------------------------- CSV


def _csv_pieces(report: Report, delimiter: str, guard_formulas: bool) -> Iterator[str]:
    if delimiter not in (";", ","):  # refused at once, not at the first chunk of a response
        raise ValueError("Разделитель CSV: «;» или «,»")
    return _csv_rows(report, delimiter, guard_formulas)


def _csv_rows(report: Report, delimiter: str, guard_formulas: bool) -> Iterator[str]:
    point = "," if delimiter == ";" else "."
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    def cells(row: list[Value], columns: list[Column]) -> list[str]:
        texts = []
        for value, column in zip(row, columns, strict=True):
            text = cell_text(value, column, point, percent_sign=False)
            # Excel runs a CSV cell beginning with = + - @ as a formula; text stays text
            if guard_formulas and isinstance(value, str) and text[:1] in ("=", "+", "-", "@"):
                text = "'" + text
            texts.append(text)
        return texts

    yield "\ufeff"
    writer.writerow([report.title])
    writer.writerow([report.scope])
    writer.writerow([])
    for section in report.sections:
        columns = section.columns
        writer.writerow([section.title])
        writer.writerow([f"{c.group}: {machine_title(c)}" if c.group else machine_title(c)
                         for c in columns])
        for row in section.rows:
            writer.writerow(cells(fitted(row, len(columns)), columns))
            if out.tell() >= CHUNK:
                yield flush()
        if section.totals is not None:
            writer.writerow(cells(fitted(section.totals, len(columns)), columns))
        for note in section.notes:
            writer.writerow([note])
        writer.writerow([])
    for note in report.notes:
        writer.writerow([note])
    writer.writerow([f"Сформирован {made_at_text(report)}"])
    yield flush()


# ---------------------------------------------------------------------------------- TXT


def _pad(text: str, width: int, kind: str) -> str:
    if kind in NUMERIC:
        return text.rjust(width)
    if kind in ("mark", "date"):
        return text.center(width)
    return text.ljust(width)


def _txt_section(section: Section) -> Iterator[str]:
    columns = section.columns
    n = len(columns)
    rows = iter(section.rows)
    measured = [fitted(row, n) for row in itertools.islice(rows, TXT_MEASURED_ROWS)]
    totals = fitted(section.totals, n) if section.totals is not None else None
    widths = [max(c.width, len(c.title)) for c in columns]
    for row in [*measured, *([totals] if totals else [])]:
        for i, (value, column) in enumerate(zip(row, columns, strict=True)):
            widths[i] = max(widths[i], len(cell_text(value, column)))
    grouped = has_groups(columns)
    if grouped:  # a group title wider than its columns widens the last of them
        for group, first, count in group_spans(columns):
            span = sum(widths[first:first + count]) + 3 * (count - 1)
            if group and len(group) > span:
                widths[first + count - 1] += len(group) - span

    def line(row: list[Value]) -> str:
        return " | ".join(_pad(cell_text(v, c), w, c.kind)
                          for v, c, w in zip(row, columns, widths, strict=True)).rstrip()

    yield section.title + "\n"
    if grouped:
        parts = []
        for group, first, count in group_spans(columns):
            span = sum(widths[first:first + count]) + 3 * (count - 1)
            parts.append(group.center(span) if group else " " * span)
        yield " | ".join(parts).rstrip() + "\n"
    titles = [c.title for c in columns]
    yield " | ".join(t.ljust(w) for t, w in zip(titles, widths, strict=True)).rstrip() + "\n"
    rule = "-+-".join("-" * w for w in widths) + "\n"
    yield rule
    for row in itertools.chain(measured, (fitted(r, n) for r in rows)):
        yield line(row) + "\n"
    if totals is not None:
        yield rule
        yield line(totals) + "\n"
    for note in section.notes:
        yield note + "\n"


def _txt_pieces(report: Report) -> Iterator[str]:
    yield report.title + "\n"
    yield report.scope + "\n"
    yield school_of(report) + "\n"
    yield f"Сформирован {made_at_text(report)}\n"
    for section in report.sections:
        yield "\n"
        yield from _txt_section(section)
    if report.notes:
        yield "\n"
        for note in report.notes:
            yield note + "\n"
    if report.signatures or report.stamp:
        yield "\n"
        for who in report.signatures:
            yield f"{who} {SIGNATURE_BLANKS}\n\n"
        if report.stamp:
            yield "М. П.\n"


# ---------------------------------------------------------------------------------- HTML, PDF


def _css_class(column: Column) -> str:
    return {"int": "num", "decimal": "num", "percent": "num", "mark": "mark", "date": "date"}.get(
        column.kind, "text")


def _header_rows(columns: list[Column]) -> list[list[dict[str, Any]]]:
    if not has_groups(columns):
        return [[{"text": c.title, "colspan": 1, "rowspan": 1} for c in columns]]
    top: list[dict[str, Any]] = []
    below: list[dict[str, Any]] = []
    for group, first, count in group_spans(columns):
        if group:
            top.append({"text": group, "colspan": count, "rowspan": 1})
            below.extend({"text": c.title, "colspan": 1, "rowspan": 1}
                         for c in columns[first:first + count])
        else:
            top.append({"text": columns[first].title, "colspan": 1, "rowspan": 2})
    return [top, below]


def _page_section(section: Section) -> dict[str, Any]:
    columns = section.columns
    n = len(columns)
    classes = [_css_class(c) for c in columns]
    total_width = sum(max(c.width, 1) for c in columns) or 1

    def cells(row: Iterable[Value]) -> list[tuple[str, str]]:
        return [(cell_text(v, c), k) for v, c, k in zip(fitted(row, n), columns, classes, strict=True)]

    return {
        "title": section.title,
        "widths": [round(100 * max(c.width, 1) / total_width, 2) for c in columns],
        "header": _header_rows(columns),
        "rows": (cells(row) for row in section.rows),  # lazy: the template pulls row by row
        "totals": cells(section.totals) if section.totals is not None else None,
        "notes": section.notes,
    }


def report_context(report: Report) -> dict[str, Any]:
    """What templates/pdf/report.html needs; ``sections[i].rows`` is a generator of rows of
    (text, class) pairs, read once."""
    return {
        "title": report.title,
        "scope": report.scope,
        "school": school_of(report),
        "made_at": made_at_text(report),
        "landscape": report.landscape,
        "dense": max((len(s.columns) for s in report.sections), default=0) > 14,
        # a summary sheet of a senior class (twenty subjects and more) is printed on A3
        "paper": "A3" if max((len(s.columns) for s in report.sections), default=0) > A3_FROM_COLUMNS else "A4",
        "sections": [_page_section(s) for s in report.sections],
        "notes": report.notes,
        "signatures": report.signatures,
        "signature_blanks": SIGNATURE_BLANKS,
        "stamp": report.stamp,
        "charts": report.charts,
    }


def _html_pieces(report: Report) -> Iterator[str]:
    from service.web import jinja

    return jinja().get_template(TEMPLATE).generate(**report_context(report))


def write_pdf(report: Report) -> bytes:
    from service.web import render_pdf

    return render_pdf(TEMPLATE, **report_context(report))


# ---------------------------------------------------------------------------------- sheets


def sheet_names(titles: list[str]) -> list[str]:
    """Names a spreadsheet accepts: ≤ 31 characters, none of []:*?/\\, no apostrophe at either
    end, not empty, unique (case-insensitively, as Excel compares them)."""
    names: list[str] = []
    taken: set[str] = set()
    for i, title in enumerate(titles, start=1):
        base = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)
        base = " ".join(base.split()).strip("'").strip() or f"Лист {i}"
        if base.lower() == "history":  # reserved by Excel
            base = f"{base} 1"
        name, n = base[:31].rstrip(), 1
        while name.lower() in taken:
            n += 1
            suffix = f" ({n})"
            name = base[:31 - len(suffix)].rstrip() + suffix
        taken.add(name.lower())
        names.append(name)
    return names


def _is_big(section: Section) -> bool:
    return not isinstance(section.rows, Sized) or len(section.rows) > BIG_SECTION


def _subtitle(report: Report) -> str:
    school = school_of(report)
    return (f"{school} · " if school else "") + f"сформирован {made_at_text(report)}"


XLSX_NUMBER_FORMATS = {"decimal": "0.00", "percent": "0.0"}


def write_xlsx(report: Report, constant_memory: bool | None = None) -> bytes:
    """A sheet per section: title, scope, school and time, the section's title, a bold header
    (groups merged above their columns), frozen below the header, then rows, bold totals and
    notes. ``constant_memory`` (by default: when a section is big or a generator) writes each
    row out as it goes."""
    import xlsxwriter

    if constant_memory is None:
        constant_memory = any(_is_big(s) for s in report.sections)
    out = io.BytesIO()
    options = {"constant_memory": True} if constant_memory else {"in_memory": True}
    book = xlsxwriter.Workbook(out, options)
    formats: dict[tuple, Any] = {}

    def fmt(num: str = "", bold: bool = False, align: str = "", head: bool = False) -> Any:
        key = (num, bold, align, head)
        if key not in formats:
            props: dict[str, Any] = {"bold": bold or head}
            if num:
                props["num_format"] = num
            if align:
                props["align"] = align
            if head:
                props.update(text_wrap=True, valign="vcenter", border=1)
            formats[key] = book.add_format(props)
        return formats[key]

    title_format = book.add_format({"bold": True, "font_size": 14})

    def put(sheet: Any, r: int, c: int, value: Value, column: Column, bold: bool) -> None:
        align = "center" if column.kind in ("mark", "date") else ""
        if value is None:
            if bold:
                sheet.write_blank(r, c, None, fmt(bold=True))
        elif isinstance(value, datetime):
            sheet.write_datetime(r, c, local_time(value), fmt("dd.mm.yyyy hh:mm", bold, align))
        elif isinstance(value, date):
            sheet.write_datetime(r, c, value, fmt("dd.mm.yyyy", bold, align))
        elif is_number(value):
            num = XLSX_NUMBER_FORMATS.get(column.kind, "")
            sheet.write_number(r, c, float(value), fmt(num, bold, align))  # type: ignore[arg-type]
        else:
            # write_string, never write(): «=SUM(A1)» typed by a person stays text
            sheet.write_string(r, c, str(value), fmt("", bold, align))

    names = sheet_names([s.title for s in report.sections])
    for section, name in zip(report.sections, names, strict=True):
        sheet = book.add_worksheet(name)
        columns = section.columns
        n = len(columns)
        for c, column in enumerate(columns):
            sheet.set_column(c, c, column.width)
        sheet.write_string(0, 0, report.title, title_format)
        sheet.write_string(1, 0, report.scope)
        sheet.write_string(2, 0, _subtitle(report))
        sheet.write_string(3, 0, section.title, fmt(bold=True))
        r = 4
        if has_groups(columns):
            # only horizontal merges: in constant_memory mode a row is final once the next begins
            for group, first, count in group_spans(columns):
                if count > 1:
                    sheet.merge_range(r, first, r, first + count - 1, group, fmt(head=True, align="center"))
                elif group:
                    sheet.write_string(r, first, group, fmt(head=True, align="center"))
                else:
                    sheet.write_blank(r, first, None, fmt(head=True))
            r += 1
        for c, column in enumerate(columns):
            sheet.write_string(r, c, machine_title(column), fmt(head=True))
        sheet.freeze_panes(r + 1, 0)
        for row in section.rows:
            r += 1
            for c, (value, column) in enumerate(zip(fitted(row, n), columns, strict=True)):
                put(sheet, r, c, value, column, False)
        if section.totals is not None:
            r += 1
            for c, (value, column) in enumerate(zip(fitted(section.totals, n), columns, strict=True)):
                put(sheet, r, c, value, column, True)
        r += 1
        for note in [*section.notes, *report.notes]:
            r += 1
            sheet.write_string(r, 0, note)
    if not report.sections:
        book.add_worksheet("Отчёт").write_string(0, 0, report.title, title_format)
    book.close()
    return out.getvalue()


def write_ods(report: Report) -> bytes:
    """The same layout as XLSX as far as odfpy goes: numbers as float cells with «0,00»/«0,0»
    number styles, dates as date cells, a bold header, groups spanning their columns, column
    widths. Built whole in memory: for a big export choose XLSX or CSV."""
    from odf.number import DateStyle, Day, Hours, Minutes, Month, Number, NumberStyle, Year
    from odf.number import Text as NumberText
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import (
        ParagraphProperties,
        Style,
        TableCellProperties,
        TableColumnProperties,
        TextProperties,
    )
    from odf.table import CoveredTableCell, Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    data_styles: dict[str, str] = {}

    def number_style(name: str, places: int) -> None:
        style = NumberStyle(name=name)
        style.addElement(Number(decimalplaces=places, minintegerdigits=1))
        doc.automaticstyles.addElement(style)
        data_styles[name] = name

    def date_style(name: str, with_time: bool) -> None:
        style = DateStyle(name=name)
        for part in (Day(style="long"), NumberText(text="."), Month(style="long"),
                     NumberText(text="."), Year(style="long")):
            style.addElement(part)
        if with_time:
            for part in (NumberText(text=" "), Hours(style="long"), NumberText(text=":"),
                         Minutes(style="long")):
                style.addElement(part)
        doc.automaticstyles.addElement(style)
        data_styles[name] = name

    number_style("N2", 2)
    number_style("N1", 1)
    date_style("D", False)
    date_style("DT", True)
    cell_styles: dict[tuple, Style] = {}

    def cell_style(data: str = "", bold: bool = False, center: bool = False, head: bool = False,
                   size: str = "") -> Style:
        key = (data, bold, center, head, size)
        if key not in cell_styles:
            args: dict[str, Any] = {"name": f"ce{len(cell_styles) + 1}", "family": "table-cell"}
            if data:
                args["datastylename"] = data
            style = Style(**args)
            if bold or head or size:
                props = {"fontweight": "bold"} if bold or head else {}
                if size:
                    props["fontsize"] = size
                style.addElement(TextProperties(**props))
            if head:
                style.addElement(TableCellProperties(wrapoption="wrap", verticalalign="middle",
                                                     border="0.5pt solid #000000"))
            if center or head:
                style.addElement(ParagraphProperties(textalign="center" if center else "start"))
            doc.automaticstyles.addElement(style)
            cell_styles[key] = style
        return cell_styles[key]

    column_styles: dict[int, Style] = {}

    def column_style(width: int) -> Style:
        if width not in column_styles:
            style = Style(name=f"co{len(column_styles) + 1}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{0.21 * width + 0.15:.2f}cm"))
            doc.automaticstyles.addElement(style)
            column_styles[width] = style
        return column_styles[width]

    def text_cell(text: str, style: Style | None = None, span: int = 1) -> TableCell:
        args: dict[str, Any] = {"valuetype": "string"}
        if style is not None:
            args["stylename"] = style
        if span > 1:
            args["numbercolumnsspanned"] = span
        cell = TableCell(**args)
        if text:
            cell.addElement(P(text=text))
        return cell

    def value_cell(value: Value, column: Column, bold: bool) -> TableCell:
        center = column.kind in ("mark", "date")
        if value is None:
            return TableCell(stylename=cell_style(bold=bold)) if bold else TableCell()
        if isinstance(value, datetime):
            moment = local_time(value)
            cell = TableCell(valuetype="date", datevalue=moment.isoformat(timespec="seconds"),
                             stylename=cell_style("DT", bold, center))
        elif isinstance(value, date):
            cell = TableCell(valuetype="date", datevalue=value.isoformat(),
                             stylename=cell_style("D", bold, center))
        elif is_number(value):
            data = {"decimal": "N2", "percent": "N1"}.get(column.kind, "")
            cell = TableCell(valuetype="float", value=str(value),
                             stylename=cell_style(data, bold, center))
        else:
            return text_cell(str(value), cell_style(bold=bold, center=center) if bold or center else None)
        cell.addElement(P(text=cell_text(value, column, percent_sign=False)))
        return cell

    def line(*cells: TableCell) -> TableRow:
        row = TableRow()
        for cell in cells:
            row.addElement(cell)
        return row

    names = sheet_names([s.title for s in report.sections]) or ["Отчёт"]
    for section, name in itertools.zip_longest(report.sections, names):
        table = Table(name=name)
        if section is None:
            table.addElement(line(text_cell(report.title, cell_style(bold=True, size="14pt"))))
            doc.spreadsheet.addElement(table)
            break
        columns = section.columns
        n = len(columns)
        for column in columns:
            table.addElement(TableColumn(stylename=column_style(column.width)))
        table.addElement(line(text_cell(report.title, cell_style(bold=True, size="14pt"))))
        table.addElement(line(text_cell(report.scope)))
        table.addElement(line(text_cell(_subtitle(report))))
        table.addElement(line(text_cell(section.title, cell_style(bold=True))))
        if has_groups(columns):
            row = TableRow()
            for group, _first, count in group_spans(columns):
                row.addElement(text_cell(group, cell_style(head=True, center=True), span=count))
                for _ in range(count - 1):
                    row.addElement(CoveredTableCell())
            table.addElement(row)
        table.addElement(line(*(text_cell(machine_title(c), cell_style(head=True)) for c in columns)))
        for values in section.rows:
            table.addElement(line(*(value_cell(v, c, False)
                                    for v, c in zip(fitted(values, n), columns, strict=True))))
        if section.totals is not None:
            table.addElement(line(*(value_cell(v, c, True)
                                    for v, c in zip(fitted(section.totals, n), columns, strict=True))))
        table.addElement(TableRow())
        for note in [*section.notes, *report.notes]:
            table.addElement(line(text_cell(note)))
        doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------- entry points

_PIECES: dict[str, Callable[..., Iterator[str]]] = {
    "csv": lambda report, delimiter=";", guard_formulas=True: _csv_pieces(report, delimiter, guard_formulas),
    "txt": lambda report: _txt_pieces(report),
    "html": lambda report: _html_pieces(report),
}
def json_value(value: Value, column: Column) -> Any:
    """A value as JSON: numbers as numbers (decimals as strings would lose nothing, but programs
    want numbers), dates as ISO strings, text as text, none as null."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return local_time(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_dict(report: Report) -> dict[str, Any]:
    """The report as plain data: title, scope, school, made at, and each section's columns and
    rows (a row: column title → value)."""
    sections = []
    for section in report.sections:
        titles = [f"{c.group}: {machine_title(c)}" if c.group else machine_title(c) for c in section.columns]
        rows = [{t: json_value(v, c) for t, v, c in zip(titles, fitted(row, len(titles)), section.columns,
                                                        strict=True)} for row in section.rows]
        item: dict[str, Any] = {"title": section.title, "columns": titles, "rows": rows, "notes": section.notes}
        if section.totals is not None:
            item["totals"] = {t: json_value(v, c) for t, v, c in
                              zip(titles, fitted(section.totals, len(titles)), section.columns, strict=True)}
        sections.append(item)
    return {"report": report.code, "title": report.title, "scope": report.scope, "school": school_of(report),
            "made_at": local_time(report.made_at).isoformat(), "notes": report.notes, "sections": sections}


def write_json(report: Report) -> bytes:
    import json

    return json.dumps(to_dict(report), ensure_ascii=False, indent=1).encode("utf-8")


_WHOLE: dict[str, Callable[..., bytes]] = {"pdf": write_pdf, "xlsx": write_xlsx, "ods": write_ods,
                                           "json": write_json}


def stream(report: Report, fmt: str, **options: Any) -> Iterator[bytes]:
    """The file as chunks of UTF-8 (about 64 KiB each); rows are read only as chunks are asked
    for. CSV options: ``delimiter`` «;» (default: decimal comma, what Russian Excel opens) or «,»
    (decimal point); ``guard_formulas`` (default on: a text cell beginning with = + - @ gets a
    leading «'» so that Excel does not run it). PDF, XLSX and ODS are built whole and come as
    one chunk."""
    if fmt in _PIECES:
        return _chunked(_PIECES[fmt](report, **options))
    if fmt in _WHOLE:
        return iter([_WHOLE[fmt](report, **options)])
    raise ValueError(f"Неизвестный формат отчёта: {fmt}")


def write(report: Report, fmt: str, **options: Any) -> bytes:
    """The whole file. XLSX option: ``constant_memory`` (default: when a section is big)."""
    if fmt in _WHOLE:
        return _WHOLE[fmt](report, **options)
    return b"".join(stream(report, fmt, **options))

"""Lists → files: CSV (UTF-8, semicolons: what a Russian spreadsheet opens without asking),
XLSX (xlsxwriter) and ODS (odfpy). Dates stay dates in XLSX and ODS, «ДД.ММ.ГГГГ» in CSV; the
column names are the import's own, so an exported list imports back as it is."""

from __future__ import annotations

import csv
import io
from datetime import date

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    return str(value)


def write_csv(headers: list[str], rows: list[list[object]], bom: bool = True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([[_text(v) for v in row] for row in rows])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def write_xlsx(headers: list[str], rows: list[list[object]], title: str = "Список") -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_row(0, 0, headers, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, day)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                # write_string: a cell starting with «=» is text, never a formula
                sheet.write_string(r, c, _text(value))
    for c, header in enumerate(headers):
        sheet.set_column(c, c, max(12, len(header) + 2))
    book.close()
    return out.getvalue()


def write_ods(headers: list[str], rows: list[list[object]], title: str = "Список") -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name=title[:31])

    def cell(value: object) -> TableCell:
        if isinstance(value, date):
            made = TableCell(valuetype="date", datevalue=value.isoformat())
        elif isinstance(value, int | float) and not isinstance(value, bool):
            made = TableCell(valuetype="float", value=value)
        else:
            made = TableCell(valuetype="string")
        made.addElement(P(text=_text(value)))
        return made

    for row in [headers, *rows]:
        line = TableRow()
        for value in row:
            line.addElement(cell(value))
        table.addElement(line)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def write(fmt: str, headers: list[str], rows: list[list[object]], title: str = "Список",
          bom: bool = True) -> bytes:
    if fmt == "xlsx":
        return write_xlsx(headers, rows, title)
    if fmt == "ods":
        return write_ods(headers, rows, title)
    return write_csv(headers, rows, bom)

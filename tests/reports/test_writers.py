"""The export writers (issue 11 item 9): one Russian report — a class's summary of marks with
grouped headers, totals, a date, a percent, an empty cell and a cell «=SUM(A1)» — written in
every format and read back by the libraries people's programs use (python-calamine for XLSX and
ODS, csv, pypdf and pdftotext, html.parser); a 100,000-row section streams. Pure: no database."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from service.reports import writers
from service.reports.model import Column, Report, Section
from service.reports.writers import FORMATS, number_text, sheet_names, stream, write

PUPILS = ["Алексеева Мария", "Борисов Артём", "Васильева Полина", "Григорьев Никита"]
MADE_AT = datetime(2026, 12, 29, 7, 30, tzinfo=UTC)


def columns() -> list[Column]:
    return [
        Column("№", "int", 3),
        Column("Ученик", "text", 24),
        Column("Матем.", "mark", 6, "1 четверть"),
        Column("Рус. яз.", "mark", 6, "1 четверть"),
        Column("Англ. яз.", "mark", 6, "1 четверть"),
        Column("Матем.", "mark", 6, "2 четверть"),
        Column("Рус. яз.", "mark", 6, "2 четверть"),
        Column("Средний балл", "decimal", 8),
        Column("Посещаемость", "percent", 9),
        Column("Последняя отметка", "date", 11),
        Column("Примечание", "text", 20),
    ]


def rows() -> list[list]:
    return [
        [1, PUPILS[0], "5", "5", "4", "5", "5", Decimal("4.8"), Decimal("98.5"), date(2026, 12, 25), ""],
        [2, PUPILS[1], "4", "3", "4", "4", None, Decimal("3.75"), Decimal("91.25"), date(2026, 12, 24),
         "=SUM(A1)"],
        [3, PUPILS[2], "5", "4", "н/а", "5", "4", Decimal("4.245"), Decimal("100"), date(2026, 12, 26),
         "перевелась 14.11"],
        [4, PUPILS[3], "3", "зач", "3", "4", "3", Decimal("3.4"), Decimal("76.4"), None, "<b>не жирный</b>"],
    ]


def summary(landscape: bool = True, extra_pupils: int = 0) -> Report:
    table = rows() + [[5 + i, f"Ученик Номер{i}", "4", "4", "4", "4", "4", Decimal("4"), Decimal("90"),
                       date(2026, 12, 20), ""] for i in range(extra_pupils)]
    marks = Section(
        title="Итоговые отметки за 1 и 2 четверти",
        columns=columns(),
        rows=table,
        totals=[None, "Итого по классу", None, None, None, None, None, Decimal("4.05"), Decimal("91.5"),
                None, None],
        notes=["«н/а» — не аттестован; «зач» — зачёт."],
    )
    absences = Section(
        title="Пропуски уроков: по болезни / без причины",  # «/» is not allowed in a sheet name
        columns=[Column("Ученик", width=24), Column("Уроков", "int", 7), Column("Доля", "percent", 7)],
        rows=[[PUPILS[1], 12, Decimal("8.75")], [PUPILS[3], 31, Decimal("23.6")]],
        totals=["Итого", 43, Decimal("16.2")],
    )
    return Report(code="summary-sheet", title="Сводная ведомость успеваемости",
                  scope="5А класс, 2026/2027 учебный год", sections=[marks, absences], made_at=MADE_AT,
                  school="МБОУ «Средняя школа № 7»", notes=["Средний балл — взвешенный, по всем отметкам."],
                  signatures=["Директор школы", "Классный руководитель"], landscape=landscape, stamp=True)


def made_local() -> str:
    from service.settings import get_settings

    return f"{MADE_AT.astimezone(get_settings().tz):%d.%m.%Y %H:%M}"


# ---------------------------------------------------------------------------------- helpers


def test_formats_name_every_format_with_a_media_type_extension_and_label():
    assert set(FORMATS) == {"pdf", "ods", "xlsx", "csv", "html", "txt", "json"}
    for code, (media, ext, label) in FORMATS.items():
        assert ext == code and "/" in media and label
    with pytest.raises(ValueError):
        write(summary(), "docx")


def test_numbers_round_half_up_with_the_chosen_decimal_separator():
    assert number_text(Decimal("4.245"), "decimal") == "4,25"
    assert number_text(Decimal("4.245"), "decimal", ".") == "4.25"
    assert number_text(Decimal("91.25"), "percent") == "91,3"
    assert number_text(12, "int") == "12"


def test_sheet_names_are_short_clean_and_unique():
    names = sheet_names(["Пропуски: по болезни / без причины [итог]", "Пропуски: по болезни / без причины [итог]",
                         "", "'кавычки'", "a*b?c\\d"])
    assert all(len(n) <= 31 for n in names)
    assert not any(ch in n for n in names for ch in "[]:*?/\\")
    assert len({n.lower() for n in names}) == len(names)
    assert names[2] == "Лист 3" and names[3] == "кавычки" and names[4] == "a b c d"


# ---------------------------------------------------------------------------------- XLSX, ODS


def _sheets(data: bytes) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _row_of(table: list[list], first: object, col: int = 1) -> list:
    return next(row for row in table if len(row) > col and row[col] == first)


def _check_spreadsheet(data: bytes) -> None:
    sheets = _sheets(data)
    assert list(sheets) == ["Итоговые отметки за 1 и 2 четве", "Пропуски уроков по болезни без"]
    marks = next(iter(sheets.values()))
    assert marks[0][0] == "Сводная ведомость успеваемости"
    assert marks[1][0] == "5А класс, 2026/2027 учебный год"
    assert "МБОУ «Средняя школа № 7»" in marks[2][0] and made_local() in marks[2][0]
    header = _row_of(marks, "Ученик")
    assert header[:3] == ["№", "Ученик", "Матем."] and header[8] == "Посещаемость, %"
    groups = marks[marks.index(header) - 1]
    assert groups[2] == "1 четверть" and groups[5] == "2 четверть"
    borisov = _row_of(marks, PUPILS[1])
    assert borisov[0] == 2 and isinstance(borisov[0], int | float)
    assert borisov[2] == "4"  # a mark is text
    assert borisov[6] == ""  # the None cell
    assert borisov[7] == pytest.approx(3.75) and borisov[8] == pytest.approx(91.25)
    assert borisov[9] == date(2026, 12, 24)
    assert borisov[10] == "=SUM(A1)"  # text, not a formula
    totals = _row_of(marks, "Итого по классу")
    assert totals[7] == pytest.approx(4.05) and marks.index(totals) == marks.index(_row_of(marks, PUPILS[3])) + 1
    absences = list(sheets.values())[1]
    assert _row_of(absences, "Итого", 0)[1:] == [43, pytest.approx(16.2)]


def test_xlsx_reads_back_numbers_dates_text_and_headers():
    data = write(summary(), "xlsx")
    _check_spreadsheet(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere
    assert '<mergeCell ref="C5:E5"/>' in sheet and '<mergeCell ref="F5:G5"/>' in sheet
    assert re.search(r'<pane ySplit="6"[^>]*state="frozen"', sheet)
    assert '<col min="2" max="2" width="24.7109375"' in sheet  # Column.width 24
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    fonts = styles.findall("m:fonts/m:font", ns)
    xfs = styles.findall("m:cellXfs/m:xf", ns)

    def bold(ref: str) -> bool:
        style = int(re.search(rf'<c r="{ref}" s="(\d+)"', sheet).group(1))
        return fonts[int(xfs[style].get("fontId"))].find("m:b", ns) is not None

    assert bold("B6") and bold("H11") and not bold("H8")  # header, totals, a pupil's row
    formats = {f.get("numFmtId"): f.get("formatCode") for f in styles.findall("m:numFmts/m:numFmt", ns)}
    assert {"0.00", "0.0", "dd.mm.yyyy"} <= set(formats.values())


def test_xlsx_of_a_generator_section_is_written_row_by_row():
    report = summary()
    count = 20_000
    report.sections[0].rows = ([i, f"Ученик {i}", "5", "4", "4", "5", "3", Decimal("4.2"), Decimal("95"),
                                date(2026, 12, 1), "=1+1"] for i in range(1, count + 1))
    data = write(report, "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<mergeCell ref="C5:E5"/>' in sheet and "<f>" not in sheet
    marks = next(iter(_sheets(data).values()))
    last = _row_of(marks, f"Ученик {count}")
    assert last[0] == count and last[9] == date(2026, 12, 1) and last[10] == "=1+1"
    assert _row_of(marks, "Ученик")[2] == "Матем." and _row_of(marks, "Итого по классу")


def test_ods_reads_back_like_xlsx():
    data = write(summary(), "ods")
    _check_spreadsheet(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        content = z.read("content.xml").decode()
    assert 'table:number-columns-spanned="3"' in content
    assert 'fo:font-weight="bold"' in content
    assert 'style:column-width="5.19cm"' in content  # Column.width 24
    assert 'office:value-type="date" office:date-value="2026-12-24"' in content


# ---------------------------------------------------------------------------------- CSV


def _csv(report: Report, delimiter: str) -> list[list[str]]:
    data = write(report, "csv", delimiter=delimiter)
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


@pytest.mark.parametrize(("delimiter", "point"), [(";", ","), (",", ".")])
def test_csv_reads_back_with_either_delimiter(delimiter, point):
    lines = _csv(summary(), delimiter)
    assert lines[0] == ["Сводная ведомость успеваемости"] and lines[1] == ["5А класс, 2026/2027 учебный год"]
    start = lines.index(["Итоговые отметки за 1 и 2 четверти"])
    header = lines[start + 1]
    assert header[1] == "Ученик" and header[2] == "1 четверть: Матем." and header[8] == "Посещаемость, %"
    borisov = lines[start + 3]
    assert borisov[:2] == ["2", PUPILS[1]] and borisov[6] == ""
    assert borisov[7] == f"3{point}75" and borisov[8] == f"91{point}3" and borisov[9] == "24.12.2026"
    assert borisov[10] == "'=SUM(A1)"  # Excel would run «=SUM(A1)»
    assert lines[start + 4][7] == f"4{point}25"  # 4.245 rounded half up
    totals = lines[start + 6]
    assert totals[1] == "Итого по классу" and totals[7] == f"4{point}05"
    assert lines[start + 7] == ["«н/а» — не аттестован; «зач» — зачёт."] and lines[start + 8] == []
    second = lines.index(["Пропуски уроков: по болезни / без причины"])
    assert second == start + 9
    assert lines[second + 4] == ["Итого", "43", f"16{point}2"] and lines[second + 5] == []


def test_csv_formula_guard_may_be_turned_off():
    data = write(summary(), "csv", delimiter=";", guard_formulas=False).decode("utf-8-sig")
    assert ";=SUM(A1)\r\n" in data
    with pytest.raises(ValueError):
        stream(summary(), "csv", delimiter="|")


# ---------------------------------------------------------------------------------- PDF


def test_pdf_prints_the_report_on_landscape_a4_with_page_numbers_and_signatures():
    pdf = write(summary(landscape=True, extra_pupils=60), "pdf")
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)
    assert round(float(page.mediabox.width) / 72 * 25.4) == 297
    assert len(reader.pages) >= 2
    texts = [p.extract_text() for p in reader.pages]
    text = "\n".join(texts)
    assert "Сводная ведомость успеваемости" in text and PUPILS[1] in text
    assert "стр. 1 из" in text and f"стр. 2 из {len(reader.pages)}" in text
    assert "1 четверть" in texts[1] and "Ученик" in texts[1]  # the header repeats on the next page
    assert re.search(r"Директор школы\s+_+ / _+ /", text) and "М. П." in text
    assert "4,25" in text and "91,3 %" in text and "24.12.2026" in text and "=SUM(A1)" in text

    if shutil.which("pdftotext") or shutil.which("/usr/bin/pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
        plain = out.stdout.decode()
        assert "Сводная ведомость успеваемости" in plain and PUPILS[3] in plain
        assert "стр. 1 из" in plain and "Классный руководитель" in plain and "М. П." in plain


def test_pdf_is_portrait_unless_asked():
    report = summary(landscape=False)
    report.stamp = False
    pdf = write(report, "pdf")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert float(page.mediabox.height) > float(page.mediabox.width)
    assert "М. П." not in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


# ---------------------------------------------------------------------------------- HTML, TXT


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.refs += [v for k, v in attrs if k in ("href", "src") and v]
        if tag == "table" and ("class", "report") in attrs:
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_html_is_standalone_and_has_the_rows():
    page = write(summary(), "html").decode("utf-8")
    assert "http://" not in page and "https://" not in page
    parser = _Tables()
    parser.feed(page)
    assert parser.refs == []
    marks, absences = parser.tables
    assert marks[0][:3] == ["№", "Ученик", "1 четверть"] and marks[1][:2] == ["Матем.", "Рус. яз."]
    body = marks[2:]
    assert [r[1] for r in body] == [*PUPILS, "Итого по классу"]
    assert body[1][7:10] == ["3,75", "91,3 %", "24.12.2026"] and body[1][6] == ""
    assert body[3][10] == "<b>не жирный</b>"  # escaped, shown as typed
    assert absences[-1] == ["Итого", "43", "16,2 %"]
    assert "Директор школы" in page and "М. П." in page and made_local() in page


def test_txt_columns_line_up():
    text = write(summary(), "txt").decode("utf-8")
    assert text.startswith("Сводная ведомость успеваемости\n5А класс, 2026/2027 учебный год\n")
    assert "\n\nИтоговые отметки за 1 и 2 четверти\n" in text
    assert "\n\nПропуски уроков: по болезни / без причины\n" in text
    block = text.split("Итоговые отметки за 1 и 2 четверти\n")[1].split("\n«н/а»")[0].splitlines()
    table = [line for line in block if "|" in line or "+" in line]
    assert len(table) == 2 + 1 + 4 + 1 + 1  # groups, titles, rule, pupils, rule, totals

    def bars(line: str) -> list[int]:
        return [i for i, ch in enumerate(line) if ch in "|+"]

    full = bars(table[2])  # the rule has a «+» under every border
    assert set(bars(table[0])) < set(full)  # the group line: borders between groups only
    assert all(bars(line) == full for line in table[1:])  # every cell written or padded
    assert "1 четверть" in table[0] and "3,75" in text and "91,3 %" in text
    assert re.search(r"Директор школы _+ / _+ /", text) and text.rstrip().endswith("М. П.")


# ---------------------------------------------------------------------------------- streaming


class Counted:
    """A generator of 100,000 rows that records how far it has been read."""

    def __init__(self, total: int = 100_000) -> None:
        self.total = total
        self.read = 0

    def __iter__(self) -> Iterator[list]:
        for i in range(1, self.total + 1):
            self.read = i
            yield [i, f"Ученик Номер{i:06d}", str(2 + i % 4), "4", "5", "4", "н/а",
                   Decimal(i % 500) / 100, Decimal(i % 1000) / 10, date(2026, 9, 1 + i % 30), "=A1"]


def big_report(source: Counted) -> Report:
    report = summary()
    report.sections[0].rows = iter(source)
    return report


def test_a_100000_row_csv_streams_in_chunks_with_little_memory():
    source = Counted()
    chunks = stream(big_report(source), "csv")
    tracemalloc.start()
    try:
        first = next(chunks)
        assert source.read < source.total  # the first chunk came before the rows were all read
        count, size, tail = 1, len(first), first
        for chunk in chunks:
            count, size, tail = count + 1, size + len(chunk), tail[-1000:] + chunk
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert source.read == source.total
    assert count > 50 and size > 5_000_000
    assert peak < 50 * 1024 * 1024
    assert first.startswith("\ufeff".encode()) and "Ученик Номер100000".encode() in tail


@pytest.mark.parametrize("fmt", ["txt", "html"])
def test_txt_and_html_stream_too(fmt):
    source = Counted()
    chunks = stream(big_report(source), fmt)
    next(chunks)
    next(chunks)
    assert source.read < 10_000
    chunks.close()


def test_stream_of_a_whole_format_is_one_chunk():
    assert list(stream(summary(), "xlsx"))[0][:2] == b"PK"
    assert writers.STREAMED == {"csv", "txt", "html"}


def test_a_table_of_many_columns_is_printed_on_a3():
    """R-REP-1: the summary sheet of a senior class — two dozen subjects — goes on A3 landscape;
    a narrower one stays on A4."""
    from io import BytesIO

    from pypdf import PdfReader

    from service.reports.model import Column, Report, Section
    from service.reports.writers import write_pdf

    def pdf(columns: int) -> tuple[float, float]:
        cols = [Column("Ученик", "text", 20)] + [Column(f"П{i}", "mark", 4, "Предметы") for i in range(columns - 1)]
        report = Report(code="summary-sheet", title="Сводная ведомость", scope="11А", made_at=datetime(2026, 6, 30,
                        tzinfo=UTC), sections=[Section("Итоговые отметки", cols, [["Иванов Иван"] + ["5"] * (columns - 1)])],
                        landscape=True)
        box = PdfReader(BytesIO(write_pdf(report))).pages[0].mediabox
        return float(box.width) * 25.4 / 72, float(box.height) * 25.4 / 72

    wide, narrow = pdf(30), pdf(12)
    assert round(wide[0]) == 420 and round(wide[1]) == 297  # A3 landscape, mm
    assert round(narrow[0]) == 297 and round(narrow[1]) == 210  # A4 landscape


# ---------------------------------------------------------------------------------- LibreOffice


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_libreoffice_opens_the_spreadsheet_with_every_value_in_place(fmt, tmp_path):
    """R-X-2: the file a deputy head downloads opens in LibreOffice Calc (Debian's, headless):
    each sheet with its rows, numbers as numbers, dates as dates, the «=SUM(A1)» a pupil's note
    held still text — never a formula LibreOffice would compute."""
    source = tmp_path / f"report.{fmt}"
    source.write_bytes(write(summary(), fmt))
    out = tmp_path / "csv"
    # 59 «;», 34 «"», 76 UTF-8, 1 first line; the last token -1: every sheet to its own file;
    # «false» at the 9th: cell values as stored, not as formatted (dates come out as numbers
    # of the US default, still dates)
    filt = "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false,false,false,-1"
    done = subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                           "--convert-to", filt, "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=180, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert done.returncode == 0, done.stderr
    sheets = {p.name: list(csv.reader(p.read_text(encoding="utf-8").splitlines(), delimiter=";"))
              for p in out.glob("*.csv")}
    assert len(sheets) == 2
    marks = next(rows for name, rows in sheets.items() if "Итоговые" in name)
    header = next(r for r in marks if r[:2] == ["№", "Ученик"])
    assert header[2:7] == ["Матем.", "Рус. яз.", "Англ. яз.", "Матем.", "Рус. яз."]
    pupil = {r[1]: r for r in marks if r[1] in PUPILS}
    assert pupil[PUPILS[0]][:9] == ["1", PUPILS[0], "5", "5", "4", "5", "5", "4.8", "98.5"]
    assert pupil[PUPILS[0]][9] == "12/25/2026"  # a date cell, not the text «25.12.2026»
    assert pupil[PUPILS[1]][10] == "=SUM(A1)" and pupil[PUPILS[1]][6] == ""
    assert pupil[PUPILS[2]][4] == "н/а" and pupil[PUPILS[3]][3] == "зач"
    assert pupil[PUPILS[3]][10] == "<b>не жирный</b>"
    totals = next(r for r in marks if r[1] == "Итого по классу")
    assert totals[7:9] == ["4.05", "91.5"]
    absences = next(rows for name, rows in sheets.items() if "Пропуски" in name)
    assert ["Итого", "43", "16.2"] in absences

"""Files → rows of cells, for every import (school lists, thematic plans). CSV (UTF-8 with or
without BOM, Windows-1251; comma, semicolon or tab), XLSX, XLS and ODS (python-calamine). A cell
is text, a number, a date or None.

Anything that is not one of these — a picture, a PDF, a Word file, random bytes, text in an
encoding that cannot be told — is refused with a Russian sentence saying what is wrong."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import charset_normalizer
from python_calamine import CalamineWorkbook

MAX_BYTES = 10 * 1024 * 1024  # an import file; a school's full list is well under 1 MB
MAX_ROWS = 20_000
MAX_COLUMNS = 60
MAX_SHEET_WIDTH = 300  # columns a sheet may span; a stray far cell must not fill memory


class NotReadable(ValueError):
    """The file cannot be read as a table; ``message`` says why, in Russian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Table:
    """The rows of the file's first sheet; ``numbers[i]`` is the line of ``rows[i]`` as the user
    sees it (a spreadsheet's row number, a CSV file's record number)."""

    rows: list[list[object]]
    numbers: list[int]
    format: str  # "csv", "xlsx", "xls", "ods"
    encoding: str = ""


def detect_format(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype"):
                    return "ods"
                if "xl/workbook.xml" in names:
                    return "xlsx"
        except zipfile.BadZipFile:
            raise NotReadable("файл повреждён: это архив, который не открывается") from None
        raise NotReadable("это не таблица: архив без листов XLSX или ODS (может быть, документ "
                          "Word или Writer?). Сохраните список как XLSX, ODS или CSV")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"{\\rtf", b"\x1f\x8b",
                        b"Rar!", b"7z\xbc\xaf")):
        raise NotReadable("это не таблица (картинка, PDF или архив). Сохраните список как XLSX, "
                          "ODS или CSV")
    return "csv"


def read_table(data: bytes) -> Table:
    if not data.strip():
        raise NotReadable("файл пуст")
    if len(data) > MAX_BYTES:
        raise NotReadable(f"файл больше {MAX_BYTES // (1024 * 1024)} МБ")
    kind = detect_format(data)
    if kind == "csv":
        return _read_csv(data)
    return _read_workbook(data, kind)


def _decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding's name. UTF-8 first (it is strict: real
    Windows-1251 text is almost never valid UTF-8); otherwise charset-normalizer chooses among
    the Cyrillic single-byte encodings."""
    if b"\x00" in data:
        raise NotReadable("это не текстовый файл и не таблица (в нём двоичные данные). Сохраните "
                          "список как XLSX, ODS или CSV")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        # UTF-8 Cyrillic (bytes D0/D1 then 80–BF) before the bad byte: the file was UTF-8 and
        # broke (two files glued, an editor that saved half of it in another encoding).
        if before.count(b"\xd0") + before.count(b"\xd1") >= 3 and _looks_utf8(before):
            line = before.count(b"\n") + 1
            raise NotReadable(f"кодировка испорчена: файл в UTF-8, но в строке {line} есть "
                              "байты не в UTF-8. Откройте файл в таблице и сохраните заново "
                              "как CSV UTF-8") from None
    best = charset_normalizer.from_bytes(
        data, cp_isolation=["cp1251", "koi8_r", "cp866", "mac_cyrillic"]).best()
    if best is None:
        raise NotReadable("не удалось определить кодировку файла. Сохраните его как CSV UTF-8 "
                          "или Windows-1251")
    encoding = best.encoding
    return str(best), {"cp1251": "Windows-1251", "koi8_r": "KOI8-R", "cp866": "CP866"}.get(
        encoding, encoding)


def _looks_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(data) - 3  # only a character cut at the end
    return True


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        # Title rows of one cell confuse the sniffer: the delimiter the lines use most wins.
        counts = {d: sample.count(d) for d in ";,\t"}
        return max(counts, key=counts.get) if any(counts.values()) else ";"


def _read_csv(data: bytes) -> Table:
    text, encoding = _decode(data)
    if sum(1 for ch in text[:20000] if not ch.isprintable() and ch not in "\r\n\t") > 20:
        raise NotReadable("это не таблица: в файле непечатаемые символы. Сохраните список как "
                          "XLSX, ODS или CSV")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[list[object]] = []
    numbers: list[int] = []
    line = 1
    try:
        for record in reader:
            if len(rows) > MAX_ROWS:
                raise NotReadable(f"в файле больше {MAX_ROWS} строк")
            rows.append([c if c.strip() else None for c in record[:MAX_COLUMNS]])
            numbers.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise NotReadable(f"строка {line}: файл CSV повреждён ({exc})") from None
    return Table(rows, numbers, "csv", encoding)


def _read_workbook(data: bytes, kind: str) -> Table:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        if sheet.width > MAX_SHEET_WIDTH:
            raise NotReadable(f"на первом листе заполнены столбцы дальше {MAX_SHEET_WIDTH}-го: "
                              "удалите лишние ячейки справа от списка или скопируйте список на "
                              "новый лист")
        # One stray cell at row 1 000 000 would make a million empty rows: read no further
        # than a list can be long.
        grid = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS + HEADER_ALLOWANCE + 1)
        merged = getattr(sheet, "merged_cell_ranges", None) or []
    except NotReadable:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise NotReadable(f"файл {kind.upper()} не открывается: он повреждён или это не "
                          f"таблица ({type(exc).__name__})") from None
    if len(grid) > MAX_ROWS + HEADER_ALLOWANCE:
        raise NotReadable(f"в файле больше {MAX_ROWS} строк")
    rows = [[(None if (isinstance(c, str) and not c.strip()) or c == "" else c)
             for c in row[:MAX_COLUMNS]] for row in grid]
    while rows and not any(c is not None for c in rows[-1]):
        rows.pop()
    _fill_merged(rows, merged)
    return Table(rows, list(range(1, len(rows) + 1)), kind)


HEADER_ALLOWANCE = 50


def _fill_merged(rows: list[list[object]], merged) -> None:
    """A merged cell holds its value in the top-left corner only; a class name merged over
    the rows of its pupils belongs to each of them."""
    for area in merged:
        try:
            (top, left), (bottom, right) = area
        except (TypeError, ValueError):
            continue
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            for c in range(left, min(right, MAX_COLUMNS - 1) + 1):
                while len(rows[r]) <= c:
                    rows[r].append(None)
                if rows[r][c] is None:
                    rows[r][c] = value

"""The archive's documents as a reader gets them: PDF/A-3b files opened with poppler's own tools
(pdftotext, pdfinfo, pdffonts, pdfdetach, pdftoppm) and pypdf — what they show, what they
carry inside, and the Russian refusals of bad input. All names here are invented."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader
from weasyprint import HTML

from archive import documents
from archive.documents import DocumentInputError

DOCS_PAGE = Path(__file__).parents[2] / "docs" / "archive-export.md"

SCHOOL = {"name": "МБОУ СОШ № 1",
          "full_name": "Муниципальное бюджетное общеобразовательное учреждение "
                       "«Средняя общеобразовательная школа № 1»",
          "address": "г. Энск, ул. Садовая, 1", "head": "Лебедева Анна Сергеевна"}
YEAR = {"name": "2025/2026", "starts": "2025-09-01", "ends": "2026-05-29"}
PERIODS = [{"code": "q1", "name": "1 четверть", "starts": "2025-09-01", "ends": "2025-10-24"},
           {"code": "q2", "name": "2 четверть", "starts": "2025-11-05", "ends": "2025-12-28"},
           {"code": "q3", "name": "3 четверть", "starts": "2026-01-12", "ends": "2026-03-20"},
           {"code": "q4", "name": "4 четверть", "starts": "2026-03-30", "ends": "2026-05-29"}]
SUBJECTS = ["Русский язык", "Литература", "Английский язык", "Алгебра", "Геометрия",
            "Вероятность и статистика", "Информатика", "История", "Обществознание", "География",
            "Биология", "Физика", "Музыка", "Технология", "Физическая культура"]
SURNAMES = ["Ромашкина", "Васильков", "Одуванчикова", "Лютиков", "Колокольчикова", "Клевер",
            "Незабудкина", "Подорожников", "Ландышева", "Маков", "Фиалкова", "Чертополохов",
            "Шиповникова", "Вереском", "Гвоздикина", "Тюльпанов", "Астрова", "Пионов",
            "Лилейникова", "Ирисов", "Жасминова", "Сиренев", "Купавина", "Медуницын",
            "Календулова", "Мятликов", "Полынина", "Тимофеевкин", "Ковылёва", "Осокин"]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def transcript(n: int = 0, *, kind: str = "year", surname: str = "Ромашкина",
               name: str = "Вера", patronymic: str | None = "Петровна") -> dict:
    rows = []
    for j, subject in enumerate(SUBJECTS):
        mark = str(3 + (n + j) % 3)
        rows.append({"subject": subject, "finals": {p["code"]: mark for p in PERIODS},
                     "year": mark, "exam": None})
    rows[12]["finals"] = {p["code"]: "зач" for p in PERIODS}
    rows[12]["year"] = "зач"
    rows[14]["finals"]["q1"] = "осв."
    rows[3]["exam"] = "4"
    code = f"7KQ{n % 10}-M2X{chr(65 + n % 26)}"
    doc = {"format": "ezh-transcript", "version": 1, "kind": "year",
           "school": copy.deepcopy(SCHOOL), "year": dict(YEAR),
           "document": {"id": f"T-2026-{n:05d}", "short_code": code, "version": 1,
                        "issued_at": "2026-05-30T10:15:00+03:00",
                        "verify_url": f"https://ezh.school.lan/v/{code.replace('-', '')}",
                        "supersedes": None},
           "periods": copy.deepcopy(PERIODS),
           "student": {"id": f"s{n}", "surname": surname, "name": name,
                       "patronymic": patronymic, "birth_date": "2012-04-05", "class": "7А"},
           "class_teacher": "Соколова Ирина Павловна", "rows": rows,
           "attendance": {"lessons_missed": 14, "ill": 9},
           "decision": "переведена в 8А класс, приказ № 12 от 30.05.2026"}
    if kind == "period":
        doc["kind"] = "period"
        del doc["periods"]
        doc["period"] = copy.deepcopy(PERIODS[1])
        for row in rows:
            row["finals"] = {"q2": row["finals"]["q2"]}
            row["year"] = row["exam"] = None
        doc["decision"] = None
    return doc


def summary_sheet(subjects: int = 10, students: int = 4, *, exams: bool = True) -> dict:
    subj = [{"code": f"c{k}", "name": name, "short": name[:4] + "."}
            for k, name in enumerate((SUBJECTS * 3)[:subjects])]
    for k, s in enumerate(subj[len(SUBJECTS):], start=len(SUBJECTS)):
        s["name"] += f" (углублённый курс {k})"
        s["short"] = f"Пр{k}"
    pupils = []
    for i in range(students):
        finals = {}
        for j, s in enumerate(subj):
            mark = str(3 + (i + j) % 3)
            finals[s["code"]] = {p["code"]: mark for p in PERIODS} | {"year": mark}
        if exams:
            finals["c0"]["exam"] = "4"
        pupils.append({"id": f"s{i}", "name": f"{SURNAMES[i]} Вера Петровна", "finals": finals,
                       "decision": f"переведена в 8А класс, приказ № 1{i} от 30.05.2026"})
    return {"format": "ezh-summary-sheet", "version": 1, "school": copy.deepcopy(SCHOOL),
            "year": dict(YEAR),
            "document": {"id": "S-2026-7A", "version": 1,
                         "issued_at": "2026-06-25T12:00:00+03:00"},
            "class": {"name": "7А", "grade": 7, "class_teacher": "Соколова Ирина Павловна"},
            "periods": copy.deepcopy(PERIODS), "subjects": subj, "has_exams": exams,
            "students": pupils}


def passport() -> dict:
    return {"format": "ezh-archive-passport", "version": 1, "school": copy.deepcopy(SCHOOL),
            "year": dict(YEAR),
            "package": {"name": "ezh-2025-2026", "version": 2,
                        "sealed_at": "2026-06-30T16:00:00+03:00",
                        "sealed_by": "Берёзкина Ольга Ивановна", "root_digest": sha("root"),
                        "previous_year_digest": sha("previous"),
                        "supersedes_digest": sha("version 1"), "ca_fingerprint": sha("ca"),
                        "seal_fingerprint": sha("seal"), "files": 2614, "bytes": 98765432}}


def inventory(count: int = 40) -> dict:
    items = [{"path": f"data/transcripts/7А/{i:04d}-year.pdf",
              "title": f"Табель успеваемости — {SURNAMES[i % 30]} Вера Петровна, 7А",
              "size": 31000 + i, "sha256": sha(f"file {i}")} for i in range(count)]
    items[0]["size"] = 512
    return {"format": "ezh-inventory", "version": 1, "school": copy.deepcopy(SCHOOL),
            "year": dict(YEAR), "package": {"name": "ezh-2025-2026", "version": 1},
            "items": items,
            "compiled_by": {"position": "Ответственный за архив",
                            "name": "Берёзкина Ольга Ивановна"}}


def destruction_act(kind: str = "documents") -> dict:
    doc = {"format": "ezh-destruction-act", "version": 1, "kind": kind,
           "school": copy.deepcopy(SCHOOL),
           "act": {"number": "3", "date": "2031-06-30", "place": "г. Энск"},
           "basis": ["раздела 10 Порядка использования электронного журнала "
                     "(срок хранения журналов — 5 лет)"],
           "items": [{"title": "Электронные классные журналы 1–11 классов за 2025/2026 "
                               "учебный год", "dates": "2025–2026", "count": 44,
                      "retention": "5 лет", "note": "сводные ведомости хранятся 25 лет"},
                     {"title": "Журналы внеурочной деятельности за 2025/2026 учебный год",
                      "dates": "2025–2026", "count": 12, "retention": "5 лет", "note": None}],
           "commission": {"chair": {"position": "Заместитель директора",
                                    "name": "Кленова Дарья Юрьевна"},
                          "members": [{"position": "Ответственный за архив",
                                       "name": "Берёзкина Ольга Ивановна"},
                                      {"position": "Системный администратор",
                                       "name": "Осинин Глеб Романович"}]}}
    if kind == "personal_data":
        doc["personal_data"] = {
            "subjects": "обучающиеся 2025/2026 учебного года (612 человек)",
            "categories": ["фамилия, имя, отчество", "дата рождения", "отметки"],
            "system": "Электронный журнал ezh на сервере школы",
            "method": "удаление записей из базы данных и из резервных копий",
            "reason": "истечение срока хранения", "destroyed_on": "2031-06-30"}
        doc["log"] = [{"at": "2031-06-30T15:02:11+03:00",
                       "event": "Удалены журналы 2025/2026 учебного года (44 журнала)",
                       "who": "Осинин Г. Р."},
                      {"at": "2031-06-30T15:40:00+03:00",
                       "event": "Удалены резервные копии за 2025/2026 учебный год",
                       "who": "Осинин Г. Р."}]
    return doc


# --- what poppler and pypdf see --------------------------------------------------------------


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def save(tmp_path):
    def save(pdf: bytes, name: str = "doc.pdf") -> Path:
        path = tmp_path / name
        path.write_bytes(pdf)
        return path
    return save


def text_of(path: Path, *, layout: bool = False) -> str:
    """The page text as pdftotext gives it, with runs of blanks made single spaces per line."""
    raw = run("pdftotext", *(["-layout"] if layout else []), str(path), "-")
    return "\n".join(" ".join(line.split()) for line in raw.splitlines())


def flat(text: str) -> str:
    return " ".join(text.split())


def info(path: Path) -> dict[str, str]:
    return {key: value.strip() for key, value in
            (line.split(":", 1) for line in run("pdfinfo", str(path)).splitlines() if ":" in line)}


def assert_archival(path: Path, title_part: str) -> None:
    """PDF/A-3b claimed in the XMP, tagged, Russian, titled, every font embedded."""
    xmp = PdfReader(path).xmp_metadata
    assert xmp is not None, "no XMP metadata"
    assert (xmp.pdfaid_part, xmp.pdfaid_conformance) == ("3", "B")
    meta = info(path)
    assert title_part in meta["Title"]
    assert meta["Tagged"] == "yes"
    assert PdfReader(path).trailer["/Root"]["/Lang"] == "ru"
    fonts = run("pdffonts", str(path)).splitlines()[2:]
    assert fonts, "no fonts at all"
    for line in fonts:
        name, emb = line.split()[0], line.split()[-5]
        assert "DejaVu" in name and emb == "yes", line


FORBIDDEN = re.compile(r"ЭЦП|\bЭП\b|электронн\w* подпис", re.IGNORECASE)


# --- transcripts -----------------------------------------------------------------------------


def test_year_transcript_shows_the_pupil_every_mark_and_how_to_check_it(save):
    """R-ARC-4: the year transcript a parent gets: pupil, each subject's marks by quarter and
    for the year, the council's decision, and the seal sentence with the code to check."""
    doc = transcript()
    path = save(documents.render_transcript(doc))
    text = flat(text_of(path))
    for needed in ("Табель успеваемости", "за 2025/2026 учебный год", "Ромашкина Вера Петровна",
                   "05.04.2012", "7А", "Соколова Ирина Павловна",
                   "Пропущено уроков: 14, в том числе по болезни: 9",
                   "Решение педагогического совета: переведена в 8А класс, приказ № 12 от "
                   "30.05.2026",
                   "Документ заверен электронной печатью системы ezh (контроль целостности).",
                   "Проверить: https://ezh.school.lan/v/7KQ0M2XA или код 7KQ0-M2XA на странице "
                   "проверки школы", "Обозначения: зач — зачтено; осв. — освобождён(а)"):
        assert needed in text, needed
    assert not FORBIDDEN.search(text)
    table = text_of(path, layout=True)
    header = table[:table.index("1. Русский язык")]
    assert header.count("четверть") == 4 and {"Год", "Экзамен"} <= set(header.split())
    marks = {}
    for n, subject in enumerate(SUBJECTS, start=1):
        line = re.search(rf"^{n}\. {subject} (.*)$", table, re.M)
        assert line, subject
        marks[subject] = line[1].split()
    assert marks["Алгебра"] == ["3", "3", "3", "3", "3", "4"]  # quarters, year, exam
    assert marks["Физическая культура"] == ["осв.", "5", "5", "5", "5"]
    assert marks["Музыка"] == ["зач"] * 5
    assert marks["Русский язык"] == ["3"] * 5
    assert info(path)["Pages"] == "1"
    assert info(path)["Page size"] == "595.276 x 841.89 pts (A4)"  # portrait


def test_period_transcript_is_a_statement_for_that_period_only(save):
    doc = transcript(kind="period")
    text = text_of(save(documents.render_transcript(doc)), layout=True)
    assert "Выписка итоговых отметок" in text
    assert "за 2 четверть 2025/2026 учебного года" in text
    assert "Итоговая отметка" in text
    assert "Год" not in text.split() and "Экзамен" not in text
    assert re.search(r"^4\. Алгебра 3$", text, re.M)
    assert "Решение педагогического совета" not in text


def test_a_reissued_transcript_names_the_one_it_replaces(save):
    doc = transcript()
    doc["document"] |= {"version": 2, "supersedes": "7KQ0-AAAA"}
    text = flat(text_of(save(documents.render_transcript(doc))))
    assert "версия 2" in text
    assert "заменяет ранее выданный документ с кодом 7KQ0-AAAA" in text


def test_transcript_is_pdfa3b_tagged_with_embedded_fonts(save):
    """R-ARC-4: PDF/A-3b claimed in the XMP, fonts embedded — readable without the journal."""
    assert_archival(save(documents.render_transcript(transcript())),
                    "Табель успеваемости за 2025/2026 учебный год — Ромашкина Вера Петровна")


def test_transcript_carries_its_data_as_an_associated_json_file(save, tmp_path):
    """R-ARC-4: the grades ride inside the PDF, byte for byte, as an associated file."""
    doc = transcript()
    path = save(documents.render_transcript(doc))
    listing = run("pdfdetach", "-list", str(path))
    assert "1 embedded files" in listing and "1: ezh-transcript.json" in listing
    out = tmp_path / "out.json"
    run("pdfdetach", "-save", "1", "-o", str(out), str(path))
    assert out.read_bytes() == documents.document_json(doc)
    assert json.loads(out.read_text(encoding="utf-8")) == doc
    root = PdfReader(path).trailer["/Root"]
    associated = [ref.get_object() for ref in root["/AF"]]
    assert [(a["/UF"], a["/AFRelationship"]) for a in associated] == [
        ("ezh-transcript.json", "/Data")]


def test_sealed_transcript_stays_pdfa_and_pdfsig_trusts_it(save, tmp_path, identity):
    """R-ARC-4: the PDF this module makes, sealed by ``archive.pdfsign`` (incremental update),
    keeps its PDF/A-3b claim and its data, and poppler's pdfsig trusts the seal given the
    school CA."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from archive import pdfsign

    doc = transcript()
    path = save(pdfsign.sign_pdf(documents.render_transcript(doc), identity))
    assert_archival(path, "Табель успеваемости")
    assert "1: ezh-transcript.json" in run("pdfdetach", "-list", str(path))
    nss, ca = tmp_path / "nss", tmp_path / "ca.pem"
    nss.mkdir()
    ca.write_bytes(identity.root.public_bytes(Encoding.PEM))
    run("certutil", "-N", "-d", f"sql:{nss}", "--empty-password")
    run("certutil", "-A", "-d", f"sql:{nss}", "-n", "ca", "-t", "CT,C,C", "-a", "-i", str(ca))
    report = run("pdfsig", "-nssdir", f"sql:{nss}", str(path))
    assert "Signature is Valid" in report and "Certificate is Trusted" in report


def test_the_qr_code_printed_is_the_code_of_the_verification_address(save, tmp_path):
    """The QR code on paper, module by module, is segno's QR code of ``verify_url`` (no QR
    decoder is installed: the printed modules are compared with the code's matrix)."""
    doc = transcript(3)
    url = doc["document"]["verify_url"]
    path = save(documents.render_transcript(doc))
    dpi = 300
    px = dpi / 72
    word = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>Документ</word>',
                     run("pdftotext", "-bbox", str(path), "-"))
    assert word, "the seal sentence is missing"
    mm = 72 / 25.4
    # the code (30 mm square, its quiet zone included) stands 3 mm left of the sentence, its
    # top level with the sentence's first line; the box drawn around both is 1 mm away
    left = float(word[1]) - 33.5 * mm
    top = float(word[2]) - 0.8 * mm
    run("pdftoppm", "-r", str(dpi), "-gray", "-x", str(int(left * px)), "-y",
        str(int(top * px)), "-W", str(int(32 * mm * px)), "-H", str(int(30.5 * mm * px)),
        str(path), str(tmp_path / "qr"))
    width, height, pixels = read_pgm(next(tmp_path.glob("qr*.pgm")))
    dark = [(x, y) for y in range(height) for x in range(width) if pixels[y * width + x] < 128]
    assert dark, "no QR code where the seal's QR code should be"
    x0, x1 = min(x for x, _ in dark), max(x for x, _ in dark)
    y0, y1 = min(y for _, y in dark), max(y for _, y in dark)
    expected = [list(row) for row in segno.make(url, error="m", micro=False).matrix]
    size = len(expected)
    step = (x1 - x0 + 1) / size
    assert abs((y1 - y0 + 1) / size - step) < 0.5, "the QR code is not square"
    printed = [[int(pixels[int(y0 + (r + 0.5) * step) * width + int(x0 + (c + 0.5) * step)] < 128)
                for c in range(size)] for r in range(size)]
    assert printed == expected
    other = [list(row) for row in segno.make(url + "X", error="m", micro=False).matrix]
    assert printed != other  # the comparison can tell two addresses apart


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    fields = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert fields, "not a binary PGM"
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[fields.end():fields.end() + width * height]


def test_batch_gives_each_pupil_their_own_pdf_and_nobody_else(save, tmp_path):
    """30 transcripts at once: 30 PDFs in order, each naming its pupil and no other pupil,
    each carrying its own data and its own code."""
    docs = [transcript(i, surname=SURNAMES[i], name="Вера") for i in range(30)]
    pdfs = documents.render_transcripts(docs)
    assert len(pdfs) == 30
    for i, (doc, pdf) in enumerate(zip(docs, pdfs, strict=True)):
        path = save(pdf, f"t{i}.pdf")
        text = text_of(path)
        surnames_seen = {s for s in SURNAMES if re.search(rf"\b{s}\b", text)}
        assert surnames_seen == {SURNAMES[i]}, (i, surnames_seen)
        assert doc["document"]["short_code"] in text
        out = tmp_path / f"t{i}.json"
        run("pdfdetach", "-save", "1", "-o", str(out), str(path))
        assert json.loads(out.read_bytes()) == doc
        assert info(path)["Pages"] == "1"
    assert pdfs[0] == documents.render_transcript(docs[0])  # the same as one at a time


def test_batch_refuses_before_rendering_and_names_the_bad_document():
    docs = [transcript(i, surname=SURNAMES[i]) for i in range(8)]
    docs[5]["student"]["surname"] = ""
    docs[6]["rows"][2]["year"] = 5
    with pytest.raises(DocumentInputError) as refused:
        documents.render_transcripts(docs)
    message = str(refused.value)
    assert "документ № 6 из 8" in message and "поле student.surname не заполнено" in message
    assert "документ № 7 из 8 (Незабудкина Вера Петровна, 7А)" in message
    assert "rows[2].year" in message and "Английский язык" in message
    assert "документ № 5" not in message


def test_same_input_gives_the_same_bytes():
    """No clock inside: a document re-rendered from the archive's JSON is byte-identical."""
    assert documents.render_transcript(transcript()) == documents.render_transcript(transcript())
    assert documents.render_passport(passport()) == documents.render_passport(passport())


@pytest.mark.parametrize("render, doc", [
    (documents.render_transcript, transcript()), (documents.render_transcript, transcript(kind="period")),
    (documents.render_summary_sheet, summary_sheet()), (documents.render_summary_sheet, summary_sheet(subjects=30)),
    (documents.render_passport, passport()), (documents.render_inventory, inventory()),
    (documents.render_destruction_act, destruction_act()),
    (documents.render_destruction_act, destruction_act("personal_data"))],
    ids=["transcript", "period", "sheet", "sheet-a3", "passport", "inventory", "act", "act-pd"])
def test_the_templates_read_as_weasyprint_itself_reads_them(render, doc, monkeypatch):
    """The documents' HTML is read by the standard library's parser, not WeasyPrint's HTML5
    one (a sixth of a transcript's time): every kind comes out byte for byte the same."""
    ours = render(doc)

    class Stock(documents._HTML):
        def __init__(self, string: str, base_url: str) -> None:
            HTML.__init__(self, string=string, base_url=base_url)

    monkeypatch.setattr(documents, "_HTML", Stock)
    assert render(doc) == ours


def test_a_template_that_closes_tags_out_of_order_is_refused():
    with pytest.raises(ValueError, match="</p> закрывает <b>"):
        documents._Tree.of("<html><body><p><b>текст</p></b></body></html>")


def test_text_that_looks_like_markup_is_printed_as_typed(save):
    doc = transcript(patronymic="<b>Петровна</b> & Ко")
    text = flat(text_of(save(documents.render_transcript(doc))))
    assert "Ромашкина Вера <b>Петровна</b> & Ко" in text


# --- the summary sheet -----------------------------------------------------------------------


def test_summary_sheet_lists_every_pupil_line_by_line_for_the_head_to_sign(save, tmp_path):
    """R-REP-1, R-ARC-2: the class's final marks in the standard form, landscape, with lines
    for the class teacher and the head and the place for the stamp; data embedded."""
    doc = summary_sheet()
    path = save(documents.render_summary_sheet(doc))
    assert_archival(path, "Сводная ведомость итоговых отметок — 7А класс, 2025/2026")
    assert info(path)["Page size"].startswith("841.89 x 595.276")  # A4 landscape
    text = text_of(path, layout=True)
    together = flat(text_of(path))
    for needed in ("Сводная ведомость итоговых отметок", "7А класс, 2025/2026 учебный год",
                   "Классный руководитель", "/ Соколова Ирина Павловна /", "Директор",
                   "/ Лебедева Анна Сергеевна /", "М. П.", "Срок хранения — 25 лет",
                   "Сокращения: Русс. — Русский язык"):
        assert needed in together, needed
    for pupil in doc["students"]:
        assert pupil["name"].split()[0] in together
        assert pupil["decision"] in together
    assert re.search(r"Экзамен 4\b", text)
    assert len(re.findall(r"^(?:\d+ \S+ )?(?:\S+ )?Год( \d){10}", text, re.M)) == 4
    assert not FORBIDDEN.search(together)
    out = tmp_path / "sheet.json"
    assert "ezh-summary-sheet.json" in run("pdfdetach", "-list", str(path))
    run("pdfdetach", "-save", "1", "-o", str(out), str(path))
    assert json.loads(out.read_bytes()) == doc


def test_summary_sheet_of_thirty_subjects_goes_a3(save):
    """R-REP-1: more subject columns than an A4 sheet holds legibly: A3 landscape."""
    path = save(documents.render_summary_sheet(summary_sheet(30, 3)))
    sizes = {line.split(":", 1)[1].strip() for line in
             run("pdfinfo", "-f", "1", "-l", "99", str(path)).splitlines()
             if re.match(r"Page +\d+ size", line)}
    assert sizes == {"1190.55 x 841.89 pts (A3)"}
    assert "Пр29" in text_of(path)
    a4 = save(documents.render_summary_sheet(summary_sheet(24, 3)), "a4.pdf")
    assert "(A4)" in info(a4)["Page size"]


# --- passport, inventory, acts ---------------------------------------------------------------


def test_passport_prints_the_root_digest_to_read_aloud(save):
    """R-ARC-4: the paper passport of a sealed year: the root digest in groups of four, the
    chain to last year, the certificates' fingerprints, lines to sign and the stamp."""
    doc = passport()
    path = save(documents.render_passport(doc))
    assert_archival(path, "Паспорт архива — ezh-2025-2026, 2025/2026")
    assert info(path)["Pages"] == "1"
    text = text_of(path)
    together = flat(text)
    root = sha("root")
    groups = [root[i:i + 4] for i in range(0, 64, 4)]
    assert " ".join(groups[:8]) in text and " ".join(groups[8:]) in text
    for digest in ("previous", "version 1", "ca", "seal"):
        assert documents.digest_groups(sha(digest))[:39] in together
    for needed in ("Паспорт архива", "ezh-2025-2026", "версия 2", "30.06.2026 16:00 (UTC+03:00)",
                   "Берёзкина Ольга Ивановна", "2 614", "94,2 МБ", "98 765 432 байта",
                   "/ Лебедева Анна Сергеевна /", "Ответственный за архив", "М. П.",
                   "сертификата электронной печати системы"):
        assert needed in together, needed
    assert not FORBIDDEN.search(together)
    assert "1 embedded files" not in run("pdfdetach", "-list", str(path))


def test_inventory_numbers_every_file_with_its_size_and_digest(save):
    doc = inventory(40)
    path = save(documents.render_inventory(doc))
    assert_archival(path, "Опись документов архивного пакета ezh-2025-2026")
    text = text_of(path, layout=True)
    # a row's first line: number, the path up to where it wraps, title, size, digest's start
    assert re.search(rf"^1 data/transcripts/7А/0000- .* 512 байт {sha('file 0')[:16]}$", text,
                     re.M)
    assert re.search(rf"^40 data/transcripts/7А/0039- .* 30,3 КБ {sha('file 39')[:16]}$", text,
                     re.M)
    assert sha("file 39")[:17] not in text
    total = sum(item["size"] for item in doc["items"])
    assert flat(f"Всего в описи 40 файлов общим объёмом {documents.human_size(total)}") in flat(
        text)
    assert "Берёзкина Ольга Ивановна" in text


def test_destruction_act_of_documents_past_retention(save):
    """R-ARC-3: journals past their 5 years are listed for destruction by a commission and
    approved by the head."""
    path = save(documents.render_destruction_act(destruction_act()))
    assert_archival(path, "Акт о выделении к уничтожению документов, не подлежащих хранению")
    text = flat(text_of(path))
    for needed in ("УТВЕРЖДАЮ", "/ Лебедева Анна Сергеевна /", "АКТ", "30.06.2031 № 3",
                   "о выделении к уничтожению документов, не подлежащих хранению",
                   "На основании раздела 10 Порядка использования электронного журнала (срок "
                   "хранения журналов — 5 лет) отобраны к уничтожению",
                   "Электронные классные журналы 1–11 классов", "Итого: 56 дел (документов)",
                   "Председатель комиссии", "Кленова Дарья Юрьевна", "Осинин Глеб Романович"):
        assert needed in text, needed
    assert "персональных данных" not in text


def test_personal_data_act_carries_the_event_log_records(save):
    """R-SEC-3: the act on destroyed personal data comes with the event-log records of the
    destruction (date and time, event, who)."""
    path = save(documents.render_destruction_act(destruction_act("personal_data")))
    assert_archival(path, "Акт об уничтожении персональных данных")
    text = flat(text_of(path))
    for needed in ("об уничтожении персональных данных", "152-ФЗ «О персональных данных»",
                   "фамилия, имя, отчество; дата рождения; отметки",
                   "Электронный журнал ezh на сервере школы", "истечение срока хранения",
                   "Выгрузка из журнала регистрации событий",
                   "30.06.2031 15:02 (UTC+03:00) Удалены журналы 2025/2026 учебного года",
                   "Удалены резервные копии за 2025/2026 учебный год Осинин Г. Р."):
        assert needed in text, needed
    assert not FORBIDDEN.search(text)


# --- refusals --------------------------------------------------------------------------------


def _without_surname(d):
    del d["student"]["surname"]


def _no_rows(d):
    d["rows"] = []


def _no_marks(d):
    for row in d["rows"]:
        row["finals"], row["year"], row["exam"] = {}, None, None


def _number_mark(d):
    d["rows"][0]["finals"]["q1"] = 5


def _unknown_format(d):
    d["format"] = "ezh-report-card"


def _version_2(d):
    d["version"] = 2


def _unknown_field(d):
    d["student"]["surename"] = "Ромашкина"


def _unknown_period(d):
    d["rows"][1]["finals"]["q5"] = "5"


def _naive_time(d):
    d["document"]["issued_at"] = "2026-05-30T10:15:00"


def _bad_date(d):
    d["student"]["birth_date"] = "05.04.2012"


def _ill_more_than_missed(d):
    d["attendance"]["ill"] = 20


@pytest.mark.parametrize(("spoil", "expected"), [
    (_without_surname, "поле student.surname не заполнено"),
    (_no_rows, "в выписке нет итоговых отметок (rows пуст)"),
    (_no_marks, "нет ни одной итоговой отметки"),
    (_number_mark, "поле rows[0].finals.q1 (предмет «Русский язык»): отметка должна быть "
                   "строкой"),
    (_unknown_format, "поле format: неизвестный формат «ezh-report-card»"),
    (_version_2, "поле version: версия 2 формата ezh-transcript не поддерживается"),
    (_unknown_field, "неизвестное поле student.surename"),
    (_unknown_period, "поле rows[1].finals (предмет «Литература»): период «q5» не описан"),
    (_naive_time, "поле document.issued_at: у времени «2026-05-30T10:15:00» не указан "
                  "часовой пояс"),
    (_bad_date, "поле student.birth_date: «05.04.2012» — не дата в виде ГГГГ-ММ-ДД"),
    (_ill_more_than_missed, "поле attendance.ill"),
])
def test_bad_transcript_is_refused_naming_the_field(spoil, expected):
    doc = transcript()
    spoil(doc)
    for attempt in (documents.check, documents.render_transcript):
        with pytest.raises(DocumentInputError) as refused:
            attempt(doc)
        assert expected in str(refused.value)


def test_each_renderer_takes_only_its_own_format():
    with pytest.raises(DocumentInputError, match="ожидается «ezh-transcript», а получено "
                                                 "«ezh-archive-passport»"):
        documents.render_transcript(passport())
    with pytest.raises(DocumentInputError, match="поле format не заполнено"):
        documents.check({"version": 1})
    with pytest.raises(DocumentInputError, match="объектом JSON"):
        documents.check([transcript()])  # type: ignore[arg-type]


@pytest.mark.parametrize(("make", "spoil", "expected"), [
    (summary_sheet, lambda d: d["students"][1]["finals"]["c3"].update(exam="5"),
     "поле students[1].finals.c3.exam (Васильков Вера Петровна): отметка за экзамен есть, а "
     "has_exams = false"),
    (summary_sheet, lambda d: d["students"][0]["finals"].update(zz={"year": "5"}),
     "поле students[0].finals.zz"),
    (summary_sheet, lambda d: d.update(students=[]), "students пуст"),
    (summary_sheet, lambda d: d["school"].pop("head"), "поле school.head не заполнено"),
    (passport, lambda d: d["package"].update(root_digest="ABC"),
     "поле package.root_digest: ожидается SHA-256"),
    (passport, lambda d: d["package"].update(files=1.5), "поле package.files должно быть "
                                                         "целым числом"),
    (inventory, lambda d: d["items"][3].update(path=d["items"][2]["path"]),
     "поле items[3].path: файл «data/transcripts/7А/0002-year.pdf» указан в описи дважды"),
    (destruction_act, lambda d: d.update(kind="everything"), "поле kind"),
    (lambda: destruction_act("personal_data"), lambda d: d.update(log=[]), "log пуст"),
    (destruction_act, lambda d: d.update(log=[]), "неизвестное поле log"),
])
def test_bad_documents_of_other_kinds_are_refused_naming_the_field(make, spoil, expected):
    doc = make()
    if doc["format"] == "ezh-summary-sheet":
        doc["has_exams"] = False
        for pupil in doc["students"]:
            pupil["finals"]["c0"].pop("exam", None)
    spoil(doc)
    with pytest.raises(DocumentInputError) as refused:
        documents.check(doc)
    assert expected in str(refused.value)


def test_no_text_anywhere_calls_the_seal_an_electronic_signature(save):
    """The product's key is «электронная печать системы (контроль целостности)»; no document
    calls it «ЭП», «ЭЦП» or «электронная подпись» (nor do the templates)."""
    pdfs = [documents.render_transcript(transcript()),
            documents.render_transcript(transcript(kind="period")),
            documents.render_summary_sheet(summary_sheet()),
            documents.render_passport(passport()), documents.render_inventory(inventory(3)),
            documents.render_destruction_act(destruction_act()),
            documents.render_destruction_act(destruction_act("personal_data"))]
    for n, pdf in enumerate(pdfs):
        assert not FORBIDDEN.search(text_of(save(pdf, f"{n}.pdf")))
    templates = Path(documents.__file__).parent / "templates"
    for template in templates.iterdir():
        assert not FORBIDDEN.search(template.read_text(encoding="utf-8")), template.name


# --- the documented examples -----------------------------------------------------------------


def test_every_example_in_the_export_documentation_is_accepted_and_renders(save):
    """docs/archive-export.md is the contract the journal's export follows: its examples must
    stay valid, one of each format."""
    blocks = re.findall(r"```json\n(.*?)```", DOCS_PAGE.read_text(encoding="utf-8"), re.S)
    examples = [json.loads(block) for block in blocks]
    assert sorted(e["format"] for e in examples) == sorted(documents.FORMATS)
    render = {"ezh-transcript": documents.render_transcript,
              "ezh-summary-sheet": documents.render_summary_sheet,
              "ezh-archive-passport": documents.render_passport,
              "ezh-inventory": documents.render_inventory,
              "ezh-destruction-act": documents.render_destruction_act}
    for n, example in enumerate(examples):
        documents.check(example)
        assert_archival(save(render[example["format"]](example), f"{n}.pdf"), "")

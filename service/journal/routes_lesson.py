"""Pages of a lesson (R-LESSON-1, R-ATT-1): «Мои уроки сегодня», the lesson page with its
forms (topic, material, homework, comment, kind of work; attendance; homework for one student;
files), homework file downloads, and a class teacher's absence notes. Thin: parse → action or
query → template; every rule is the action's (lessons.py, notes.py, cells.py)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from service import forms
from service.errors import NotFound, Refused
from service.journal import access, cells, files, lessons, notes, rules
from service.journal import lesson_queries as q
from service.timetable.queries import bells_for_dates
from service.web import (
    EXCEPTION_HANDLERS,
    error_page,
    existing_id,
    redirect,
    render,
    requires,
    signed_in,
)

TEACH = requires("journal.teach")
NOTES = requires("journal.class", "journal.edit", "journal.view")

# the largest attachment a school may allow, and a little room for the form around it; the
# school's own limit (journal settings) is checked by the action
FILE_MAX_KB = 50 * 1024
FILE_BODY_MAX = FILE_MAX_KB * 1024 + 64 * 1024
TOO_BIG = f"Файл больше {FILE_MAX_KB // 1024} МБ — такой файл не приложить"

DAY_FORM = {"day": forms.Day("День")}
ENTRY_FORM = {
    "topic": lessons.TOPIC, "plan_item": forms.Int("Пункт КТП", min=1), "material": lessons.MATERIAL,
    "homework": lessons.HOMEWORK, "comment": lessons.COMMENT, "work_kind": forms.Int("Вид работы", min=1),
    "reason": forms.Text("Причина исправления", cells.REASON_MAX), "version": forms.Int("Версия записи"),
}
ATTENDANCE_FORM = {"reason": forms.Text("Причина исправления", cells.REASON_MAX),
                   "all_present": forms.Flag("Все присутствуют"),
                   "from_paper": forms.Flag("Перенос из бумажного журнала")}
ATTENDANCE_KIND = forms.Choice("Посещаемость", ("", *rules.ATTENDANCE), default="")
INDIVIDUAL_FORM = {"student": forms.Int("Ученик", min=1), "text": lessons.INDIVIDUAL}
FILE_FORM = {"student": forms.Int("Кому", min=1)}
NOTES_QUERY = {"class": forms.Int("Класс", min=1)}
NOTE_FORM = {
    "class": forms.Int("Класс", min=1), "student": forms.Int("Ученик", min=1),
    "starts_on": forms.Day("С какого дня", required=True), "ends_on": forms.Day("По какой день"),
    "kind": forms.Choice("Причина", tuple(notes.KINDS)), "note": notes.NOTE,
}


# --- «Мои уроки сегодня» --------------------------------------------------------------------


@get("/today", guards=[TEACH])
async def today_page(request: Request) -> Response:
    today = access.school_today()
    values, problems = forms.parse_filters(DAY_FORM, request.query_params)
    day = values["day"] or today
    rows = await q.day_lessons(request.user, day)
    bells = (await bells_for_dates([day])).get(day, [])
    due = q.reminders(rows, day, today, q.now_minutes())
    return render(request, "journal/today.html", status_code=400 if problems else 200, errors=problems,
                  day=day, today=today, lessons=rows, bells=bells, reminders=due,
                  prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
                  time_text=q.time_text)


# --- the lesson page ------------------------------------------------------------------------


async def _lesson_page(request: Request, lesson_id: int, status: int = 200, errors: dict | None = None,
                       typed: dict | None = None, form: str = "", need: str = "",
                       paper: bool = False) -> Response:
    data = await q.lesson_page(request.user, lesson_id)
    flash = request.query_params.get("saved", "") if status == 200 else ""
    paper = paper or request.query_params.get("paper") == "1"
    return render(request, "journal/lesson.html", status_code=status, errors=errors or {}, typed=typed or {},
                  form=form, need=need, flash=flash, choices=q.ATTENDANCE_CHOICES, paper=paper,
                  attendance_names=rules.ATTENDANCE, kb_text=files.kb_text,
                  file_max=(await access.settings(data["lesson"]["year"])).file_max_kb, **data)


@get("/lesson/{lesson_id:int}", guards=[signed_in])
async def lesson_page(request: Request, lesson_id: FromPath[int]) -> Response:
    existing_id(lesson_id)
    return await _lesson_page(request, lesson_id)


def _typed(data, form: dict) -> dict:
    return {name: (data.get(name) if isinstance(data.get(name), str) else "")[:forms.TEXT_MAX + 10]
            for name in form}


def _back(lesson_id: int, saved: str, anchor: str) -> str:
    return f"/journal/lesson/{lesson_id}?saved={saved}#{anchor}"


@post("/lesson/{lesson_id:int}/entry", guards=[signed_in])
async def entry_save(request: Request, lesson_id: FromPath[int]) -> Response:
    existing_id(lesson_id)
    data = await request.form()
    typed = _typed(data, ENTRY_FORM)
    try:
        v = forms.parse(ENTRY_FORM, data)
        saved = await lessons.do_save_entry(
            request.user, lesson_id, v["topic"], v["plan_item"], v["material"], v["homework"], v["comment"],
            v["work_kind"], v["reason"], version=v["version"] if v["version"] is not None else 0)
    except cells.NeedReason as exc:
        return await _lesson_page(request, lesson_id, 400, forms.errors(exc), typed, "entry", exc.need)
    except Refused as exc:
        return await _lesson_page(request, lesson_id, 400, forms.errors(exc), typed, "entry")
    return redirect(_back(lesson_id, "pending" if saved.state == "pending" else "entry", "entry"), request)


@post("/lesson/{lesson_id:int}/attendance", guards=[signed_in])
async def attendance_save(request: Request, lesson_id: FromPath[int]) -> Response:
    existing_id(lesson_id)
    data = await request.form()
    typed = {k: v for k, v in data.items() if isinstance(k, str) and k.startswith("att-") and isinstance(v, str)}
    try:
        v = forms.parse(ATTENDANCE_FORM, data)
        marks: dict[int, str | None] = {}
        for key, raw in list(typed.items())[:2000]:
            student = key[4:]
            if not student.isascii() or not student.isdigit() or not 0 < int(student) <= forms.ID_MAX:
                raise Refused("Посещаемость: ученик не из списка", field="attendance")
            kind = forms.value(ATTENDANCE_KIND, raw, "attendance")
            marks[int(student)] = None if v["all_present"] else (kind or None)
        if not marks:
            raise Refused("Посещаемость: в списке нет учеников", field="attendance")
        await cells.do_save_attendance(request.user, lesson_id, marks, reason=v["reason"],
                                       from_paper=v["from_paper"])
    except cells.NeedReason as exc:
        return await _lesson_page(request, lesson_id, 400, forms.errors(exc), typed, "attendance", exc.need,
                                  paper=data.get("from_paper") == "1")
    except Refused as exc:
        errors = forms.errors(exc)
        if "attendance" not in errors:
            errors = {"attendance": exc.message} if exc.field != "reason" else errors
        return await _lesson_page(request, lesson_id, 400, errors, typed, "attendance",
                                  paper=data.get("from_paper") == "1")
    return redirect(_back(lesson_id, "attendance", "attendance"), request)


@post("/lesson/{lesson_id:int}/individual", guards=[signed_in])
async def individual_save(request: Request, lesson_id: FromPath[int]) -> Response:
    existing_id(lesson_id)
    data = await request.form()
    typed = _typed(data, INDIVIDUAL_FORM)
    try:
        v = forms.parse(INDIVIDUAL_FORM, data)
        if v["student"] is None:
            raise Refused("Ученик: выберите из списка", field="student")
        await lessons.do_set_individual_homework(request.user, lesson_id, v["student"], v["text"])
    except Refused as exc:
        return await _lesson_page(request, lesson_id, 400, forms.errors(exc), typed,
                                  f"individual-{typed.get('student', '')}")
    return redirect(_back(lesson_id, "individual", f"student-{v['student']}"), request)


def _too_big(request: Request, exc: HTTPException) -> Response:
    """The body is read (for its CSRF token) before the handler runs: a file over the largest
    limit is answered here with the limit named, and nothing is stored."""
    if exc.status_code == 413:
        return error_page(request, 413, TOO_BIG)
    return EXCEPTION_HANDLERS[HTTPException](request, exc)


@post("/lesson/{lesson_id:int}/files", guards=[signed_in], request_max_body_size=FILE_BODY_MAX,
      exception_handlers={HTTPException: _too_big})
async def file_add(request: Request, lesson_id: FromPath[int]) -> Response:
    existing_id(lesson_id)
    try:
        data = await request.form()
    except HTTPException as exc:
        if exc.status_code == 413:
            return await _lesson_page(request, lesson_id, 413, {"file": TOO_BIG}, form="files")
        raise
    try:
        v = forms.parse(FILE_FORM, data)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refused("Файл: выберите файл", field="file")
        content = await upload.read(FILE_MAX_KB * 1024 + 1)
        if len(content) > FILE_MAX_KB * 1024:
            raise Refused(TOO_BIG, field="file")
        await lessons.do_attach_file(request.user, lesson_id, v["student"], upload.filename, content)
    except Refused as exc:
        errors = forms.errors(exc)
        if exc.field not in ("file", "student"):
            errors = {"file": exc.message}
        return await _lesson_page(request, lesson_id, 400, errors, form="files")
    anchor = f"student-{v['student']}" if v["student"] else "homework"
    return redirect(_back(lesson_id, "file", anchor), request)


@post("/file/{file_id:int}/remove", guards=[signed_in])
async def file_remove(request: Request, file_id: FromPath[int]) -> Response:
    existing_id(file_id)
    try:
        lesson_id = await lessons.do_remove_file(request.user, file_id)
    except NotFound:
        raise
    except Refused as exc:
        row = await files.file_row(file_id)
        if row is None:
            raise NotFound() from None
        return await _lesson_page(request, row["lesson"], 400, {"file": exc.message}, form="files")
    return redirect(_back(lesson_id, "removed", "homework"), request)


@get("/file/{file_id:int}", guards=[signed_in])
async def file_download(request: Request, file_id: FromPath[int]) -> Response:
    existing_id(file_id)
    row = await files.file_row(file_id)
    if row is None or not await files.may_download(request.user, row):
        raise NotFound()
    content = files.read(row["sha256"])
    if content is None:
        raise NotFound()
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in row["name"]) or "file"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row['name'])}"
    return Response(content, media_type=row["content_type"],
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"})


# --- absence notes --------------------------------------------------------------------------


async def _notes_page(request: Request, class_id: int | None, status: int = 200, errors: dict | None = None,
                      typed: dict | None = None) -> Response:
    today = access.school_today()
    data = await q.notes_page(request.user, class_id, today)
    return render(request, "journal/notes.html", status_code=status, errors=errors or {}, typed=typed or {},
                  today=today, kinds=notes.KINDS, flash=request.query_params.get("saved", "") if status == 200 else "",
                  left=_count(request.query_params.get("left", "")) if status == 200 else 0,
                  ahead=today + timedelta(days=notes.AHEAD_DAYS), **data)


@get("/notes", guards=[NOTES])
async def notes_page(request: Request) -> Response:
    values, problems = forms.parse_filters(NOTES_QUERY, request.query_params)
    if problems:
        raise NotFound()
    return await _notes_page(request, values["class"])


@post("/notes", guards=[NOTES])
async def note_add(request: Request) -> Response:
    data = await request.form()
    typed = _typed(data, NOTE_FORM)
    class_id = None
    try:
        class_id = forms.parse_filters({"class": NOTE_FORM["class"]}, data)[0]["class"]
        v = forms.parse(NOTE_FORM, data)
        if v["student"] is None:
            raise Refused("Ученик: выберите из списка", field="student")
        _, _, left = await notes.do_add_note(request.user, v["student"], v["starts_on"], v["ends_on"], v["kind"],
                                             v["note"])
    except Refused as exc:
        return await _notes_page(request, class_id, 400, forms.errors(exc), typed)
    return redirect(_notes_back(class_id, "note", left), request)


@post("/notes/{note_id:int}/remove", guards=[NOTES])
async def note_remove(request: Request, note_id: FromPath[int]) -> Response:
    existing_id(note_id)
    data = await request.form()
    class_id = forms.parse_filters({"class": NOTE_FORM["class"]}, data)[0]["class"]
    try:
        _, left = await notes.do_remove_note(request.user, note_id)
    except NotFound:
        raise
    except Refused as exc:
        return await _notes_page(request, class_id, 400, forms.errors(exc))
    return redirect(_notes_back(class_id, "removed", left), request)


def _count(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 6 else 0


def _notes_back(class_id: int | None, saved: str, left: int) -> str:
    query = f"class={class_id}&" if class_id else ""
    return f"/journal/notes?{query}saved={saved}" + (f"&left={left}" if left else "")


HANDLERS = [today_page, lesson_page, entry_save, attendance_save, individual_save, file_add, file_remove,
            file_download, notes_page, note_add, note_remove]

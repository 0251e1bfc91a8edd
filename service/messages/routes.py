"""Pages of messages (R-MSG-1). Thin: parse → action or query → template. Whom one may write
to and every limit are decided by the actions; a thread or file the viewer is not a side of
answers 404. The administration's answer times live at /answer-times, outside /messages, so
that a page for staff stays LAN-only when families reach /messages from the internet."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from service import forms
from service.errors import NotFound, Refused
from service.journal import access, files
from service.messages import actions, queries, rules
from service.messages.actions import Upload
from service.settings import get_settings
from service.timetable.tables import Lesson
from service.web import EXCEPTION_HANDLERS, error_page, existing_id, redirect, render, requires

USE = requires("messages.use")
BODY_MAX = (rules.TOTAL_MAX_KB + 1024) * 1024  # the files and the text with room for the form
TOO_BIG = (f"Файлы: вместе больше {files.kb_text(rules.TOTAL_MAX_KB)} — такое сообщение не отправить. "
           "Сожмите фотографии или приложите часть файлов к следующему сообщению")
LIST_QUERY = {"page": forms.Page(), "unread": forms.Flag("Непрочитанные")}
NEW_QUERY = {"to": forms.Text("Кому", 40), "class": forms.Int("Класс", min=1, default=None)}
STATS_QUERY = {"year": forms.Int("Учебный год", min=1, default=None)}


def _too_big(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413:
        return error_page(request, 413, TOO_BIG)
    return EXCEPTION_HANDLERS[HTTPException](request, exc)


async def _form(request: Request) -> tuple[dict, list[Upload]]:
    data = await request.form()
    typed = {k: data.get(k) if isinstance(data.get(k), str) else "" for k in ("to", "subject", "body", "class")}
    uploads = []
    for item in data.getall("file") if "file" in data else []:
        if isinstance(item, UploadFile) and item.filename:
            content = await item.read(rules.FILE_MAX_KB * 1024 + 1)
            uploads.append(Upload(item.filename, content))
    return typed, uploads


@get("/messages", guards=[USE])
async def index(request: Request) -> Response:
    """The viewer's threads, newest first; unread ones marked with their count."""
    values, problems = forms.parse_filters(LIST_QUERY, request.query_params)
    if problems:
        raise NotFound()
    page = values["page"] or 1
    items, more = await queries.threads(request.user, page, bool(values["unread"]))
    return render(request, "messages/index.html", threads=items, more=more, page=page,
                  unread_only=bool(values["unread"]), sent=request.query_params.get("sent", ""),
                  sides=queries.SIDE_NAMES)


async def _classes(viewer, today: date) -> list[dict]:
    rows = await Lesson.raw(
        "SELECT DISTINCT c.id, c.name, c.grade, c.letter FROM school_class c JOIN enrolment e ON e.school_class = c.id "
        "WHERE e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= {}) ORDER BY c.grade, c.letter, c.name",
        today, today).run()
    return [{"id": r["id"], "name": r["name"]} for r in rows]


async def _new_page(request: Request, typed: dict, status: int = 200, errors: dict | None = None) -> Response:
    """The form: «Кому» lists whom the viewer may write to — a family's teachers by child; for
    staff, colleagues and, for a chosen class, its pupils and parents (and «всем родителям»)."""
    viewer = request.user
    today = access.school_today()
    class_id = typed.get("class")
    class_id = actions._id(str(class_id)) if class_id else None
    administration = viewer.can(queries.ADMINISTRATION) and queries.is_staff(viewer)
    found = await queries.contacts(viewer, today, class_id=(class_id or 0) if administration else None)
    classes: list[dict] = []
    if queries.is_staff(viewer):
        if administration:
            classes = await _classes(viewer, today)
        else:
            seen: dict[int, str] = {}
            for c in found:
                if c.class_id is not None:
                    seen.setdefault(c.class_id, c.class_name)
            classes = [{"id": k, "name": v} for k, v in sorted(seen.items(), key=lambda x: x[1])]
        if class_id is not None and not any(c["id"] == class_id for c in classes):
            class_id = None
        if typed.get("to") and "." in typed["to"] and class_id is None:
            # a link «написать» from a pupil's card: their class comes with them
            chosen = next((c for c in found if c.key == typed["to"]), None)
            if chosen is None:
                pid = actions._id(typed["to"].partition(".")[0])
                extra = await queries.contacts(viewer, today, person=pid) if pid else []
                chosen = next((c for c in extra if c.key == typed["to"]), None)
                if chosen is not None:
                    found.append(chosen)
            if chosen is not None and chosen.class_id is not None:
                class_id = chosen.class_id
                if administration:  # the whole class, as if it had been chosen
                    found = await queries.contacts(viewer, today, class_id=class_id)
        if not administration:
            found = [c for c in found if c.class_id is None or c.class_id == class_id]
    groups: dict[str, list] = {}
    for c in found:
        if c.my_side == "student":
            label = "Мои учителя и администрация"
        elif c.my_side == "parent":
            label = f"О ребёнке: {c.about_name}"
        elif c.class_id is not None:
            label = f"{c.class_name}: {'ученики' if c.side == 'student' else 'родители'}"
        else:
            label = "Администрация" if c.rank == queries.RANK_ADMINISTRATION else "Сотрудники"
        groups.setdefault(label, []).append(c)
    parents_of_class = bool(class_id) and any(c.side == "parent" and c.class_id == class_id for c in found)
    chosen_class = next((c for c in classes if c["id"] == class_id), None)
    return render(request, "messages/new.html", status_code=status, groups=groups, classes=classes,
                  chosen_class=chosen_class, parents_of_class=parents_of_class, typed=typed, errors=errors or {},
                  limits=rules, sides=queries.SIDE_NAMES)


@get("/messages/new", guards=[USE])
async def new(request: Request) -> Response:
    values, problems = forms.parse_filters(NEW_QUERY, request.query_params)
    if problems:
        raise NotFound()
    return await _new_page(request, {"to": values["to"] or "", "class": values["class"], "subject": "", "body": ""})


@post("/messages/new", guards=[USE], request_max_body_size=BODY_MAX, exception_handlers={HTTPException: _too_big})
async def send(request: Request) -> Response:
    try:
        typed, uploads = await _form(request)
    except HTTPException as exc:
        if exc.status_code == 413:
            return await _new_page(request, {"to": "", "subject": "", "body": "", "class": None}, 413, {"file": TOO_BIG})
        raise
    try:
        made = await actions.do_start(request.user, typed["to"] or "", typed["subject"] or "", typed["body"] or "",
                                      uploads, access.school_today())
    except Refused as exc:
        return await _new_page(request, typed, 400, forms.errors(exc))
    if len(made) == 1:
        return redirect(f"/messages/{made[0]}", request)
    return redirect(f"/messages?sent={len(made)}", request)


async def _thread_page(request: Request, thread_id: int, status: int = 200, errors: dict | None = None,
                       typed: str = "") -> Response:
    t = await queries.thread(request.user, thread_id)
    if t is None:
        raise NotFound()
    items = await queries.messages(thread_id)
    for m in items:
        m["mine"] = m["author"] == request.user.person_id
        m["answer_in"] = (rules.duration_text(m["answered_at"] - m["sent_at"])
                          if m["answered_at"] is not None else "")
    return render(request, "messages/thread.html", status_code=status, thread=t, items=items,
                  errors=errors or {}, typed=typed, sides=queries.SIDE_NAMES, limits=rules)


@get("/messages/{thread_id:int}", guards=[USE])
async def show(request: Request, thread_id: FromPath[int]) -> Response:
    """The thread, oldest first; opening it marks the other side's messages read."""
    existing_id(thread_id)
    t = await queries.thread(request.user, thread_id)
    if t is None:
        raise NotFound()
    if t["unread"]:
        await actions.do_mark_read(request.user, thread_id)
    return await _thread_page(request, thread_id)


@post("/messages/{thread_id:int}", guards=[USE], request_max_body_size=BODY_MAX,
      exception_handlers={HTTPException: _too_big})
async def reply(request: Request, thread_id: FromPath[int]) -> Response:
    existing_id(thread_id)
    try:
        typed, uploads = await _form(request)
    except HTTPException as exc:
        if exc.status_code == 413:
            return await _thread_page(request, thread_id, 413, {"file": TOO_BIG})
        raise
    try:
        message = await actions.do_reply(request.user, thread_id, typed["body"] or "", uploads)
    except Refused as exc:
        return await _thread_page(request, thread_id, 400, forms.errors(exc), typed["body"] or "")
    return redirect(f"/messages/{thread_id}#m{message}", request)


@get("/messages/file/{file_id:int}", guards=[USE])
async def download(request: Request, file_id: FromPath[int]) -> Response:
    existing_id(file_id)
    row = await queries.file_row(request.user, file_id)
    content = files.read(row["sha256"]) if row else None
    if row is None or content is None:
        raise NotFound()
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in row["name"]) or "file"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row['name'])}"
    return Response(content, media_type=row["content_type"], headers={
        "Content-Disposition": disposition, "Cache-Control": "private, no-store"})  # nosniff: on every response


@get("/messages/unread", guards=[USE])
async def unread(request: Request) -> Response:
    """The menu's badge (fetched by the menu after the page: no page pays a query for it)."""
    n = await queries.unread(request.user)
    return render(request, "messages/_unread.html", n=n)


# --- the administration: how quickly parents were answered ------------------------------------


async def _years() -> list[dict]:
    return await Lesson.raw("SELECT id, name, starts_on, ends_on, is_current FROM academic_year "
                            "ORDER BY starts_on DESC").run()


@get("/answer-times", guards=[requires("messages.stats")])
async def answer_times(request: Request) -> Response:
    """Per teacher and month of the chosen school year: parents' messages that began a wait,
    answered, the median answer time, the share answered within a day, still waiting. Counts
    and times only — no text, no family names."""
    values, problems = forms.parse_filters(STATS_QUERY, request.query_params)
    if problems:
        raise NotFound()
    years = await _years()
    year = (next((y for y in years if y["id"] == values["year"]), None) if values["year"] is not None
            else next((y for y in years if y["is_current"]), years[0] if years else None))
    if values["year"] is not None and year is None:
        raise NotFound()
    stats: list[rules.AnswerStats] = []
    if year is not None:
        tz = get_settings().tz
        start = datetime.combine(year["starts_on"], time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(year["ends_on"], time(23, 59, 59), tzinfo=tz).astimezone(UTC)
        stats = rules.answer_stats(await queries.parent_waits(start, end), tz, access.now())
    by_person: dict[int, list] = {}
    for s in stats:
        by_person.setdefault(s.person, []).append(s)
    return render(request, "messages/answer_times.html", years=years, year=year, by_person=by_person,
                  total=rules.totals(stats), duration=rules.duration_text)


router = Router(path="/", route_handlers=[index, new, send, unread, download, show, reply, answer_times])

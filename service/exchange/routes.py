"""The «Импорт и экспорт» page: upload → preview with line-by-line errors → confirm → result,
and a download per list.

Between the preview and the confirmation the uploaded file waits in the service's data
directory (``EZH_VAR_DIR/imports``) under a random token bound to the account that uploaded
it; it is deleted once written, and files left behind are deleted after a day. The file is
read and checked again when confirmed (``do_import``), so nothing on the page is trusted."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from service import forms
from service.audit.log import log_access
from service.errors import NotFound, Refused
from service.exchange import queries, writers
from service.exchange.actions import ImportRefused, do_import, preview_file
from service.exchange.mapping import FIELDS, KIND_NAMES, KINDS
from service.exchange.preview import SHOWN_LINES, Preview
from service.readers import MAX_BYTES
from service.settings import get_settings
from service.web import EXCEPTION_HANDLERS, error_page, render, requires, today

# The body holds the file and a few form fields: a little room above the file's own limit, so
# that a 10 MB file is not refused for its envelope.
BODY_MAX = MAX_BYTES + 64 * 1024
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
TOO_BIG = (f"Файл больше {MAX_BYTES // (1024 * 1024)} МБ — такой список не загрузить. Списки "
           "школы занимают меньше мегабайта: проверьте, что выбран нужный файл (не фотографии и "
           "не архив), или разделите список на части.")

KIND_FORM = {"kind": forms.Choice("Вид списка", KINDS)}
TOKEN_FORM = {**KIND_FORM, "token": forms.Text("Файл", 64, required=True)}
EXPORT_FORM = {"format": forms.Choice("Формат", tuple(writers.FORMATS), default="csv")}


def _dir() -> Path:
    path = get_settings().paths.var_dir / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _forget_old(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def _keep(user_id: int, kind: str, name: str, data: bytes) -> str:
    folder = _dir()
    _forget_old(folder)
    token = secrets.token_urlsafe(32)
    fd = os.open(folder / f"{token}.bin", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    (folder / f"{token}.json").write_text(json.dumps({"user": user_id, "kind": kind,
                                                      "name": name}), encoding="utf-8")
    return token


def _kept(user_id: int, token: str) -> tuple[dict, bytes]:
    """The file uploaded by this account under ``token``; anyone else's, or none, is 404."""
    if not _TOKEN.match(token):
        raise NotFound()
    folder = _dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        raise Refused("Загруженный файл больше не хранится (прошли сутки или он уже загружен). "
                      "Выберите файл ещё раз.", field="file") from None
    if meta.get("user") != user_id:
        raise NotFound()
    return meta, data


def _drop(token: str) -> None:
    folder = _dir()
    for suffix in (".bin", ".json"):
        try:
            (folder / f"{token}{suffix}").unlink()
        except OSError:
            pass


def _chosen(form) -> dict[int, str]:
    """The user's answers «which column is which»: col_3=birth_date, col_5= (leave out)."""
    chosen = {}
    for key in form.keys():
        match = re.fullmatch(r"col_(\d{1,2})", key)
        if match:
            value = form.get(key)
            chosen[int(match.group(1))] = value if isinstance(value, str) and len(value) < 40 else ""
    return chosen


def _page(request: Request, status: int = 200, **context) -> Response:
    defaults = {"kinds": KIND_NAMES, "errors": {}, "kind": "students",
                "may_import": request.user.can("exchange.import"),
                "may_export": request.user.can("exchange.export"),
                "limit_mb": MAX_BYTES // (1024 * 1024)}
    return render(request, "exchange/index.html", status_code=status, **{**defaults, **context})


def _preview_page(request: Request, preview: Preview, token: str, name: str,
                  status: int = 200) -> Response:
    fields = {f.code: f.label for f in FIELDS[preview.kind]}
    return render(request, "exchange/preview.html", status_code=status, preview=preview,
                  token=token, file_name=name, kind_name=KIND_NAMES[preview.kind], fields=fields,
                  lines=preview.lines[:SHOWN_LINES], bad_lines=preview.bad_lines[:SHOWN_LINES],
                  errors={})


@get("/exchange", guards=[requires("exchange.import", "exchange.export")])
async def exchange_page(request: Request) -> Response:
    return _page(request)


def _too_big(request: Request, exc: HTTPException) -> Response:
    """The body is read (for its CSRF token) before the handler runs: a file over the limit is
    answered here, on the import page, with the limit named."""
    if exc.status_code == 413:
        viewer = request.scope.get("user")
        if viewer is None or not viewer.can("exchange.import"):  # guards have not run yet
            return error_page(request, 413, TOO_BIG)
        return _page(request, 413, errors={"file": TOO_BIG})
    return EXCEPTION_HANDLERS[HTTPException](request, exc)


@post("/exchange/preview", guards=[requires("exchange.import")], request_max_body_size=BODY_MAX,
      exception_handlers={HTTPException: _too_big})
async def preview_upload(request: Request) -> Response:
    try:
        form = await request.form()
    except HTTPException as exc:
        if exc.status_code == 413:
            return _page(request, 413, errors={"file": TOO_BIG})
        raise
    try:
        kind = forms.parse(KIND_FORM, form)["kind"]
    except Refused as exc:
        return _page(request, 400, errors=forms.errors(exc))
    upload = form.get("file")
    token_text = form.get("token")
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise Refused(TOO_BIG, field="file")
            name = upload.filename[:200]
            token = None
        elif isinstance(token_text, str) and token_text:
            meta, data = _kept(request.user.user_id, token_text)
            name, token = meta.get("name", ""), token_text
        else:
            raise Refused("Выберите файл со списком", field="file")
        preview = await preview_file(kind, data, today(), _chosen(form))
    except Refused as exc:
        return _page(request, 400, errors={"file": exc.message}, kind=kind)
    if token is None:
        token = _keep(request.user.user_id, kind, name, data)
    return _preview_page(request, preview, token, name)


@post("/exchange/apply", guards=[requires("exchange.import")])
async def apply_upload(request: Request) -> Response:
    form = await request.form()
    try:
        values = forms.parse(TOKEN_FORM, form)
        meta, data = _kept(request.user.user_id, values["token"])
    except NotFound:
        raise
    except Refused as exc:
        return _page(request, 400, errors={"file": exc.message})
    kind, name = values["kind"], meta.get("name", "")
    try:
        preview = await do_import(request.user, kind, data, today(), _chosen(form),
                                  source=f"файл «{name}»")
    except ImportRefused as exc:
        return _preview_page(request, exc.preview, values["token"], name, status=400)
    except Refused as exc:
        return _page(request, 400, errors={"file": exc.message}, kind=kind)
    _drop(values["token"])
    return render(request, "exchange/done.html", kind_name=KIND_NAMES[kind],
                  count=len(preview.items), file_name=name)


@get("/exchange/export/{kind:str}", guards=[requires("exchange.export")])
async def export_list(request: Request, kind: FromPath[str]) -> Response:
    if kind not in KINDS:
        raise NotFound()
    values, _ = forms.parse_filters(EXPORT_FORM, request.query_params)
    fmt = values["format"] or "csv"
    day = today()
    rows, people = await queries.export_list(kind, day)
    for start in range(0, len(people), 1000):  # a bounded statement, however big the school
        await log_access(request.user.actor, people[start:start + 1000],
                         f"выгрузка списка «{KIND_NAMES[kind]}»")
    body = writers.write(fmt, queries.EXPORT_HEADERS[kind], rows, KIND_NAMES[kind])
    media, ext = writers.FORMATS[fmt]
    filename = f"{kind}-{day.isoformat()}.{ext}"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


router = Router(path="/", route_handlers=[exchange_page, preview_upload, apply_upload,
                                           export_list])

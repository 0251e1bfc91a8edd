"""Thematic plans (КТП): the overview of the year's journals with programme completion and
missing plans, a journal's plan page, and its upload: file → preview with line errors →
confirm → loaded.

Between the preview and the confirmation the file waits in ``EZH_VAR_DIR/plans`` under a random
token bound to the account and the journal (deleted once loaded, or after a day). The confirm
step reads and checks the file again and ``do_import_plan`` checks its lines once more inside
the writing transaction: nothing shown on the page is trusted."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Redirect

from service import forms
from service.errors import NotFound, Refused
from service.journal import access, plan_queries, plans
from service.settings import get_settings
from service.web import EXCEPTION_HANDLERS, error_page, render, requires

SEE = requires("journal.teach", "journal.class", "journal.view")
BODY_MAX = plans.MAX_BYTES + 64 * 1024
KEEP_SECONDS = 24 * 3600
SHOWN_LINES = plans.MAX_LINES
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "ktp-5-matematika.csv"
TOO_BIG = (f"Файл больше {plans.MAX_BYTES // (1024 * 1024)} МБ — это не КТП. Проверьте, что выбран "
           "нужный файл (таблица, а не фотографии или архив).")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
TOKEN_FORM = {"token": forms.Text("Файл", 64, required=True)}


def _dir() -> Path:
    path = get_settings().paths.var_dir / "plans"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _keep(user_id: int, ref: access.JournalRef, name: str, data: bytes) -> str:
    folder = _dir()
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass
    token = secrets.token_urlsafe(32)
    fd = os.open(folder / f"{token}.bin", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    (folder / f"{token}.json").write_text(json.dumps({"user": user_id, "journal": ref.key, "name": name}),
                                          encoding="utf-8")
    return token


def _kept(user_id: int, ref: access.JournalRef, token: str) -> tuple[str, bytes]:
    """The file this account uploaded for this journal under ``token``; anyone else's is 404."""
    if not _TOKEN.match(token):
        raise NotFound()
    folder = _dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        raise Refused("Загруженный файл больше не хранится (прошли сутки или он уже загружен). "
                      "Выберите файл ещё раз.", field="file") from None
    if meta.get("user") != user_id or meta.get("journal") != ref.key:
        raise NotFound()
    return str(meta.get("name", "")), data


def _drop(token: str) -> None:
    for suffix in (".bin", ".json"):
        try:
            (_dir() / f"{token}{suffix}").unlink()
        except OSError:
            pass


@get("/plans", guards=[SEE])
async def plans_overview(request: Request) -> Response:
    data = await plan_queries.overview(request.user, access.school_today())
    return render(request, "journal/plans.html", **data, today=access.school_today(),
                  see_all=request.user.can("journal.view"))


@get("/plans/sample.csv", guards=[SEE])
async def plan_sample(request: Request) -> Response:
    return Response(SAMPLE.read_bytes(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename=ktp-obrazec.csv"})


async def _page(request: Request, ref: access.JournalRef, status: int = 200, **context) -> Response:
    today = access.school_today()
    data = await plan_queries.plan_page(request.user, ref, today)
    defaults = {"errors": {}, "preview": None, "token": "", "file_name": "", "loaded": False,
                "limit_mb": plans.MAX_BYTES // (1024 * 1024), "max_lines": plans.MAX_LINES}
    return render(request, "journal/plan.html", status_code=status, today=today,
                  **{**defaults, **data, **context})


@get("/plans/{key:str}", guards=[SEE])
async def plan_view(request: Request, key: FromPath[str]) -> Response:
    ref = access.parse_ref(key)
    return await _page(request, ref, loaded=request.query_params.get("loaded") == "1")


def _too_big(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413:
        return error_page(request, 413, TOO_BIG)
    return EXCEPTION_HANDLERS[HTTPException](request, exc)


@post("/plans/{key:str}/preview", guards=[SEE], request_max_body_size=BODY_MAX,
      exception_handlers={HTTPException: _too_big})
async def plan_preview(request: Request, key: FromPath[str]) -> Response:
    ref = access.parse_ref(key)
    form = await request.form()
    upload = form.get("file")
    try:
        await plans.writable(request.user, ref)  # a foreign journal is 404 before anything else
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refused("Выберите файл КТП", field="file")
        data = await upload.read(plans.MAX_BYTES + 1)
        if len(data) > plans.MAX_BYTES:
            raise Refused(TOO_BIG, field="file")
        name = " ".join(upload.filename.split())[:200]
        preview = await plans.preview_file(request.user, ref, data)
    except Refused as exc:
        return await _page(request, ref, 400, errors={"file": exc.message})
    token = _keep(request.user.user_id, ref, name, data) if preview.clean else ""
    return await _page(request, ref, 200 if preview.clean else 400, preview=preview, token=token,
                       file_name=name)


@post("/plans/{key:str}/apply", guards=[SEE])
async def plan_apply(request: Request, key: FromPath[str]) -> Response:
    ref = access.parse_ref(key)
    form = await request.form()
    try:
        values = forms.parse(TOKEN_FORM, form)
        name, data = _kept(request.user.user_id, ref, values["token"])
        preview = await plans.preview_file(request.user, ref, data)
        if not preview.clean:
            raise plans.PlanRefused(preview)
        await plans.do_import_plan(request.user, ref, preview.items, name)
    except plans.PlanRefused as exc:
        return await _page(request, ref, 400, preview=exc.preview, file_name="")
    except Refused as exc:
        return await _page(request, ref, 400, errors={"file": exc.message})
    _drop(values["token"])
    return Redirect(f"/journal/plans/{ref.key}?loaded=1", status_code=303)


HANDLERS = [plans_overview, plan_sample, plan_view, plan_preview, plan_apply]

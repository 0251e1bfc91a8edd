"""The archive's pages (issue 12). Thin: parse → action or query → template.

``/archive`` — the seal's state, issuing transcripts (a class teacher: her own class; the deputy
head: any class, a grade level, the school), the documents issued, the sealed years.
``/verify`` and ``/v/<code>`` — the verification page, open to anyone without signing in."""

from __future__ import annotations

import time
from collections import deque
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import File

from service import forms
from service.errors import NotFound, Refused
from service.records import queries, rules, verify
from service.records.issue import archive_dir, do_issue_transcripts
from service.web import error_page, redirect, render, requires
from service.web.errors import EXCEPTION_HANDLERS

SEE = requires("archive.view", "records.issue", "records.issue_own")
ISSUE = requires("records.issue", "records.issue_own")
ISSUE_FORM = {
    "year": forms.Int("Учебный год", min=1),
    "period": forms.Int("Период", min=1),
    "class": forms.Int("Класс", min=1),
}
CODE_FORM = {"code": forms.Text("Код документа", 40)}
TOO_BIG = "Файл больше 20 МБ — это не выписка школы. Загрузите PDF выписки."

# at most this many checks a minute from one address (the page is open to anyone)
CHECKS_PER_MINUTE = 30
_checks: dict[str, deque] = {}


def _throttled(request: Request) -> bool:
    address = request.client.host if request.client else "?"
    now = time.monotonic()
    seen = _checks.setdefault(address, deque())
    while seen and now - seen[0] > 60:
        seen.popleft()
    if len(_checks) > 10_000:  # a flood of addresses: forget the quiet ones
        for key in [k for k, v in _checks.items() if not v][:5_000]:
            del _checks[key]
    if len(seen) >= CHECKS_PER_MINUTE:
        return True
    seen.append(now)
    return False


@get("/archive", guards=[SEE])
async def archive_page(request: Request) -> Response:
    return await _archive(request)


async def _archive(request: Request, status: int = 200, errors: dict | None = None,
                   typed: dict | None = None) -> Response:
    data = await queries.archive_page(request.user)
    flash = request.query_params.get("issued", "") if status == 200 else ""
    return render(request, "records/archive.html", status_code=status, errors=errors or {},
                  typed=typed or {}, flash=flash, **data)


@post("/archive/transcripts", guards=[ISSUE])
async def issue_transcripts(request: Request) -> Response:
    data = await request.form()
    typed = {k: data.get(k) if isinstance(data.get(k), str) else "" for k in ISSUE_FORM}
    try:
        v = forms.parse(ISSUE_FORM, data)
        if v["year"] is None:
            raise Refused("Учебный год: выберите год", field="year")
        class_ids = [v["class"]] if v["class"] is not None else None
        done = await do_issue_transcripts(request.user, v["year"], period_id=v["period"], class_ids=class_ids)
    except Refused as exc:
        return await _archive(request, 400, forms.errors(exc) or {"issue": exc.message}, typed)
    skipped = f" Без итоговых отметок (не выпущены): {len(done.skipped)}." if done.skipped else ""
    return redirect(f"/archive?issued={done.count}{quote(skipped)}#issued", request)


@get("/archive/documents/{doc_id:int}", guards=[SEE])
async def download(request: Request, doc_id: FromPath[int]) -> Response:
    if not 0 < doc_id <= forms.ID_MAX:
        raise NotFound()
    doc = await queries.document(request.user, doc_id)
    path = archive_dir() / doc["file"]
    if not path.is_file():
        return error_page(request, 410, "Файл документа не найден в архиве на сервере: восстановите его "
                                        "из резервной копии (docs/backups.md).")
    return File(path=path, filename=path.name, media_type="application/pdf", content_disposition_type="attachment")


# --- verification, open to anyone ------------------------------------------------------------


@get("/verify")
async def verify_page(request: Request) -> Response:
    code = request.query_params.get("code", "")
    if code:
        return await _verify(request, await verify.by_code(code) if not _throttled(request) else None, code=code)
    return await _verify(request, None)


@get("/v/{code:str}")
async def verify_link(request: Request, code: FromPath[str]) -> Response:
    """The address in a document's QR code: a code that is not one, or that the school never
    issued, is «not found» (with the page's explanation)."""
    if rules.normalise_short_code(code) is None:
        return await _verify(request, await verify.by_code(code), code=code, status=404)
    if _throttled(request):
        return await _verify(request, None, code=code, status=429)
    answer = await verify.by_code(code)
    return await _verify(request, answer, code=code, status=404 if answer.status == "unknown" else 200)


def _too_big(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413:
        return render(request, "records/verify.html", status_code=413, answer=None, code="", error=TOO_BIG,
                      throttled=False)
    return EXCEPTION_HANDLERS[HTTPException](request, exc)


@post("/verify", request_max_body_size=verify.UPLOAD_MAX + 64 * 1024, exception_handlers={HTTPException: _too_big})
async def verify_upload(request: Request) -> Response:
    if _throttled(request):
        return await _verify(request, None, status=429)
    data = await request.form()
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _verify(request, None, status=400, error="Файл: выберите PDF документа")
    content = await upload.read(verify.UPLOAD_MAX + 1)
    if len(content) > verify.UPLOAD_MAX:
        return await _verify(request, None, status=413, error=TOO_BIG)
    return await _verify(request, await verify.by_file(content))


async def _verify(request: Request, answer: verify.Answer | None, *, code: str = "", status: int = 200,
                  error: str = "") -> Response:
    throttled = status == 429 or (answer is None and bool(code))
    return render(request, "records/verify.html", status_code=429 if throttled else status, answer=answer,
                  code=code[:40], error=error, throttled=throttled)


router = Router(path="/", route_handlers=[archive_page, issue_transcripts, download, verify_page, verify_link,
                                          verify_upload])

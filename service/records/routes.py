"""The archive's pages (issue 12). Thin: parse → action or query → template.

``/archive`` — the seal's state, issuing transcripts (a class teacher: her own class; the deputy
head: any class, a grade level, the school), the documents issued, the sealed years.
``/verify`` and ``/v/<code>`` — the verification page, open to anyone without signing in."""

from __future__ import annotations

import asyncio
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
from service.records import jobs, queries, rules, seal, signatures, verify
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
SEAL = requires("records.seal")
VIEW = requires("archive.view")
SEAL_FORM = {"year": forms.Int("Учебный год", min=1)}
REOPEN_FORM = {"reason": forms.Text("Причина", 1000)}
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
                   typed: dict | None = None, code: str | None = None) -> Response:
    """The archive page; ``?code=`` (a document's short code) lists that document alone."""
    typed = typed or {}
    asked = code if code is not None else request.query_params.get("code", "")[:40]
    errors = errors or {}
    found = rules.normalise_short_code(asked) if asked else None
    if asked and found is None:
        errors = {**errors, "code": "Код документа — восемь знаков, как на документе, например 7KQ4-M2XD"}
        status = 400 if status == 200 else status
    data = await queries.archive_page(request.user, found)
    flash = request.query_params.get("issued", "") if status == 200 else ""
    said = ({k: request.query_params.get(k, "")[:200] for k in ("sealed", "reopened", "checked", "signed",
                                                                  "signed_doc")}
            if status == 200 else {})
    return render(request, "records/archive.html", status_code=status, errors=errors,
                  typed={**typed, "code": asked}, flash=flash, said=said, searched=found,
                  jobs=await asyncio.to_thread(jobs.recent, request.user), **data)


@post("/archive/transcripts", guards=[ISSUE])
async def issue_transcripts(request: Request) -> Response:
    data = await request.form()
    typed = {k: data.get(k) if isinstance(data.get(k), str) else "" for k in ISSUE_FORM}
    try:
        v = forms.parse(ISSUE_FORM, data)
        if v["year"] is None:
            raise Refused("Учебный год: выберите год", field="year")
        class_ids = [v["class"]] if v["class"] is not None else None
        finished, done = await jobs.run(
            "issue", f"Выпуск выписок успеваемости{await _year_named(v['year'])}", request.user,
            lambda say: do_issue_transcripts(request.user, v["year"], period_id=v["period"], class_ids=class_ids,
                                             progress=lambda n, total: say(f"готово {n} из {total}")),
            lambda issued: f"Выпущено выписок: {issued.count}.{_left_out(issued)}")
    except Refused as exc:
        return await _archive(request, 400, forms.errors(exc) or {"issue": exc.message}, typed)
    if not finished:
        return redirect("/archive#jobs", request)
    return redirect(f"/archive?issued={done.count}{quote(_left_out(done))}#issued", request)


async def _year_named(year_id: int) -> str:
    """« 2025/2026» for a job's title, so two years' jobs are told apart; the action checks the id."""
    name = await queries.year_name(year_id)
    return f" {name}" if name else ""


def _left_out(done) -> str:
    skipped = f" Без итоговых отметок (не выпущены): {len(done.skipped)}." if done.skipped else ""
    if done.moved:
        # a count, not names: the address goes to the access log
        skipped += f" Переведены в другой класс (выписку выпускает их новый класс): {len(done.moved)}."
    return skipped


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


# --- sealed years ------------------------------------------------------------------------------


@post("/archive/seal", guards=[SEAL])
async def seal_year(request: Request) -> Response:
    data = await request.form()
    typed = {"seal_year": data.get("year") if isinstance(data.get("year"), str) else ""}
    try:
        v = forms.parse(SEAL_FORM, data)
        if v["year"] is None:
            raise Refused("Учебный год: выберите год", field="year")
        finished, done = await jobs.run(
            "seal", f"Запечатывание учебного года{await _year_named(v['year'])}", request.user,
            lambda say: seal.do_seal_year(request.user, v["year"], progress=say),
            lambda sealed: f"Пакет {sealed.name} запечатан и проверен. Скачайте паспорт архива и распечатайте его.")
    except Refused as exc:
        return await _archive(request, 400, {"seal": exc.message}, typed)
    if not finished:
        return redirect("/archive#jobs", request)
    return redirect(f"/archive?sealed={quote(done.name)}#years", request)


@get("/archive/jobs", guards=[SEE])
async def archive_jobs(request: Request) -> Response:
    """The long jobs' state, for the archive page to refresh while one runs (htmx)."""
    return render(request, "records/_jobs.html", jobs=await asyncio.to_thread(jobs.recent, request.user))


@post("/archive/years/{sealed_id:int}/reopen", guards=[SEAL])
async def reopen_year(request: Request, sealed_id: FromPath[int]) -> Response:
    row = await queries.sealed(request.user, sealed_id)
    data = await request.form()
    try:
        v = forms.parse(REOPEN_FORM, data)
        await seal.do_reopen_year(request.user, row["year"], v["reason"] or "", sealed_id=sealed_id)
    except Refused as exc:
        return await _archive(request, 400, {f"reopen-{sealed_id}": exc.message},
                              {f"reason-{sealed_id}": data.get("reason") if isinstance(data.get("reason"), str) else ""})
    return redirect(f"/archive?reopened={quote(row['year_name'])}#years", request)


@post("/archive/years/{sealed_id:int}/verify", guards=[VIEW])
async def verify_sealed(request: Request, sealed_id: FromPath[int]) -> Response:
    await queries.sealed(request.user, sealed_id)
    done = await seal.do_verify_sealed(request.user, sealed_id)
    return redirect(f"/archive?checked={quote(done['name'])}#years", request)


async def _attach(request: Request, **target: int) -> tuple[str, Refused | None]:
    """The upload of a head's signature form, attached to ``target`` (``sealed_id`` or
    ``document_id``): the note typed, and the refusal if there was one."""
    data = await request.form()
    upload = data.get("file")
    note = data.get("note") if isinstance(data.get("note"), str) else ""
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refused("Файл подписи: выберите файл .sig", field="file")
        content = await upload.read(signatures.MAX_BYTES + 1)
        await signatures.do_attach_signature(request.user, filename=upload.filename, data=content, note=note,
                                             **target)
    except Refused as exc:
        return note, exc
    return note, None


@post("/archive/years/{sealed_id:int}/signature", guards=[VIEW], request_max_body_size=signatures.MAX_BYTES + 64 * 1024)
async def attach_signature(request: Request, sealed_id: FromPath[int]) -> Response:
    """The head's qualified signature (a detached .sig made with the school's own tools)."""
    await queries.sealed(request.user, sealed_id)
    note, refused = await _attach(request, sealed_id=sealed_id)
    if refused:
        return await _archive(request, 400, {f"sign-{sealed_id}": refused.message}, {f"note-{sealed_id}": note})
    return redirect(f"/archive?signed={sealed_id}#sealed-{sealed_id}", request)


@post("/archive/documents/{doc_id:int}/signature", guards=[VIEW],
      request_max_body_size=signatures.MAX_BYTES + 64 * 1024)
async def attach_document_signature(request: Request, doc_id: FromPath[int]) -> Response:
    """The head's qualified signature over one issued document's PDF (a detached .sig)."""
    if not 0 < doc_id <= forms.ID_MAX:
        raise NotFound()
    doc = await queries.document(request.user, doc_id)
    note, refused = await _attach(request, document_id=doc_id)
    if refused:
        return await _archive(request, 400, {f"sign-doc-{doc_id}": refused.message}, {f"note-doc-{doc_id}": note},
                              code=doc["short_code"])
    return redirect(f"/archive?code={doc['short_code']}&signed_doc=1#doc-{doc_id}", request)


@get("/archive/signatures/{signature_id:int}", guards=[VIEW])
async def signature_file(request: Request, signature_id: FromPath[int]) -> Response:
    row = await queries.signature(request.user, signature_id)
    path = archive_dir() / row["file"]
    if not path.is_file():
        return error_page(request, 410, "Файл подписи не найден в архиве на сервере: восстановите его из "
                                        "резервной копии (docs/backups.md).")
    return File(path=path, filename=row["filename"], media_type="application/pkcs7-signature",
                content_disposition_type="attachment")


@get("/archive/years/{sealed_id:int}/{what:str}", guards=[VIEW])
async def sealed_file(request: Request, sealed_id: FromPath[int], what: FromPath[str]) -> Response:
    """The package as one tar, or its passport (PDF) to print."""
    row = await queries.sealed(request.user, sealed_id)
    if what == "tar":
        path = seal.stored_path(row["tar"])
        media = "application/x-tar"
    elif what == "passport" and row["passport_file"]:
        path = seal.stored_path(row["passport_file"])
        media = "application/pdf"
    else:
        raise NotFound()
    if not path.is_file():
        return error_page(request, 410, "Файл пакета не найден в архиве на сервере: восстановите его из резервной "
                                        "копии (docs/backups.md).")
    return File(path=path, filename=path.name, media_type=media, content_disposition_type="attachment")


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


router = Router(path="/", route_handlers=[archive_page, archive_jobs, issue_transcripts, download, seal_year, reopen_year,
                                          verify_sealed, attach_signature, attach_document_signature, signature_file, sealed_file, verify_page,
                                          verify_link, verify_upload])

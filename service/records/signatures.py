"""Attaching a qualified electronic signature (issue 12 item 2): the head signs a sealed year's
``tagmanifest-sha256.txt`` (or a document's PDF) with the school's own tools (КриптоПро and the
like) and the archivist attaches the detached ``.sig``. ezh cannot check a GOST signature
itself, so it checks what it can — the file is a detached CMS SignedData (DER or PEM), read by
``openssl cms`` — then stores it under the archive folder, hashed, audited and listed with the
package. The package itself is never touched: the signature lies beside it."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.records import issue
from service.records.tables import AttachedSignature
from service.settings import get_settings
from service.timetable.tables import Lesson

MAX_BYTES = 1024 * 1024
SUFFIXES = (".sig", ".sgn", ".p7s", ".p7b", ".cms")
FIELD = "file"


def _check_cms(data: bytes, signed: Path | None) -> str:
    """A detached CMS SignedData over ``signed`` (the file it must sign), or a Russian refusal
    naming what it is instead. Answers whether the signature's digest was checked against the
    file: openssl checks the algorithms it knows; a GOST signature it cannot read is stored
    unchecked (the school checks it with its own tools)."""
    pem = data.lstrip().startswith(b"-----BEGIN")
    inform = "PEM" if pem else "DER"
    with tempfile.NamedTemporaryFile(suffix=".sig") as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-noout", "-in", fh.name,
                              "-inform", inform], capture_output=True, text=True, timeout=30)
        if out.returncode == 0 and signed is not None and signed.is_file():
            match = subprocess.run(["openssl", "cms", "-verify", "-binary", "-noverify", "-inform", inform,
                                    "-in", fh.name, "-content", str(signed), "-out", os.devnull],
                                   capture_output=True, text=True, timeout=60)
        else:
            match = None
    if out.returncode != 0:
        raise Refused("Файл подписи: это не подпись CMS/PKCS#7 (ожидается отсоединённая подпись .sig в DER или "
                      "PEM, как её сохраняет КриптоАРМ или КриптоПро). Ничего не сохранено.", field=FIELD)
    text = out.stdout
    if "contentType: pkcs7-signedData" not in text:
        raise Refused("Файл подписи: внутри нет подписанных данных (SignedData). Ничего не сохранено.", field=FIELD)
    if not re.search(r"eContent:\s*<ABSENT>", text):
        raise Refused("Файл подписи: подпись присоединённая — внутри лежит сам документ. Сохраните отсоединённую "
                      "подпись (отдельный файл .sig). Ничего не сохранено.", field=FIELD)
    if match is None:
        return "файл, над которым сделана подпись, не найден: не сверена"
    if match.returncode == 0:
        return "сверена с файлом: подписан именно он"
    if "content verify error" in match.stderr or "verification failure" in match.stderr:
        raise Refused(f"Файл подписи: подпись сделана не над файлом {signed.name} этого пакета или документа "
                      "(другая версия или другой файл). Ничего не сохранено.", field=FIELD)
    return "алгоритм подписи (ГОСТ) не проверяется средствами ЭЖ: проверьте её средствами школы"


async def do_attach_signature(viewer: Viewer, *, sealed_id: int | None = None, document_id: int | None = None,
                              filename: str, data: bytes, note: str = "", now: datetime | None = None) -> dict:
    """Attach ``data`` (a detached signature) to a sealed year package or an issued document."""
    if not viewer.can("archive.view") or (sealed_id is None) == (document_id is None):
        raise NotFound()
    if sealed_id is not None:
        rows = await Lesson.raw("SELECT id, name AS title, folder AS path FROM sealed_year WHERE id = {}",
                                sealed_id).run()
    else:
        rows = await Lesson.raw("SELECT id, title, file AS path FROM issued_document WHERE id = {}", document_id).run()
    if not rows:
        raise NotFound()
    path = Path(rows[0]["path"])
    path = path if path.is_absolute() else issue.archive_dir() / path
    signed = path / "tagmanifest-sha256.txt" if sealed_id is not None else path
    name = Path(filename or "").name.strip()
    if not name:
        raise Refused("Файл подписи: выберите файл .sig", field=FIELD)
    if not name.lower().endswith(SUFFIXES):
        raise Refused(f"Файл подписи «{name[:80]}»: ожидается файл подписи ({', '.join(SUFFIXES)})", field=FIELD)
    if len(name) > 200 or any(ord(c) < 32 for c in name):
        raise Refused("Файл подписи: имя файла слишком длинное или с управляющими символами", field=FIELD)
    if not data:
        raise Refused("Файл подписи пуст", field=FIELD)
    if len(data) > MAX_BYTES:
        raise Refused("Файл подписи больше 1 МБ — это не отсоединённая подпись", field=FIELD)
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise Refused("Примечание: не длиннее 500 знаков", field="note")
    checked = await asyncio.to_thread(_check_cms, data, signed)
    digest = hashlib.sha256(data).hexdigest()
    whose = f"year-{sealed_id}" if sealed_id is not None else f"doc-{document_id}"
    relative = Path("signatures") / f"{whose}-{digest[:16]}.sig"
    target = issue.archive_dir() / relative
    now = now or datetime.now(get_settings().tz)
    async with atomic():
        # «Already attached» is decided here, under the signature's lock (openssl's slow check
        # ran before the transaction): of two archivists attaching the same file at once, the
        # second waits here, then finds the first one's row and is refused. The file is written,
        # and removed on failure, only by whoever passed this check.
        await xact_lock(f"signature:{whose}:{digest}")
        same = await Lesson.raw(
            "SELECT id FROM attached_signature WHERE sha256 = {} AND " +
            ("sealed_year = {}" if sealed_id is not None else "document = {}"), digest,
            sealed_id if sealed_id is not None else document_id).run()
        if same:
            raise Refused("Эта подпись уже приложена", field=FIELD)
        try:
            await asyncio.to_thread(write_atomically, target, data)
            row = (await AttachedSignature.insert(AttachedSignature(
                document=document_id, sealed_year=sealed_id, filename=name, sha256=digest, size=len(data),
                file=str(relative), note=note, attached_at=now, attached_by=viewer.person_id,
            )).returning(AttachedSignature.id).run())[0]["id"]
            await record(viewer.actor, "records.signature_attached", "sealed_year" if sealed_id else "issued_document",
                         sealed_id or document_id, new={"filename": name, "sha256": digest, "size": len(data),
                                                        "to": rows[0]["title"], "note": note, "checked": checked})
        except BaseException:
            # still under the lock: no committed row names this file. Only a failed commit (at
            # the end of the block, its outcome unknown) leaves the file behind: a stray copy is
            # harmless, a row without its file is not
            target.unlink(missing_ok=True)
            raise
    return {"id": row, "sha256": digest, "file": str(relative), "to": rows[0]["title"], "checked": checked}


def write_atomically(target: Path, data: bytes) -> None:
    """``data`` as ``target``, written to a temporary name, synced and renamed: a crash or a
    full disk never leaves a half-written file under the final name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


async def listed_for_documents(document_ids: list[int]) -> dict[int, list[dict]]:
    """The signatures attached to these issued documents, by document (one query)."""
    return await _listed("document", document_ids)


async def listed(sealed_ids: list[int]) -> dict[int, list[dict]]:
    """The signatures attached to these packages, by package (one query)."""
    return await _listed("sealed_year", sealed_ids)


async def _listed(column: str, ids: list[int]) -> dict[int, list[dict]]:
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    rows = await Lesson.raw(
        f"SELECT id, {column}, filename, sha256, size, note, attached_at FROM attached_signature "
        f"WHERE {column} IN ({marks}) ORDER BY attached_at, id", *ids).run()
    out: dict[int, list[dict]] = {}
    for r in rows:
        out.setdefault(r[column], []).append(r)
    return out

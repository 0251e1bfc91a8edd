"""Homework files (R-LESSON-1): what may be attached, where it is kept and who may download it.

A file is kept once per content under the uploads folder — ``[backup] uploads_dir``, by default
``EZH_VAR_DIR/uploads`` — as ``<sha[:2]>/<sha256>``, which the backups take whole (written to a
temporary file and renamed, so a half-written file never has the final name); the
``homework_file`` row keeps the name it was uploaded under (cleaned) and the content type that
its extension names — never the one the browser claimed. Programs and scripts are refused by
extension and by content (MZ, ELF, Mach-O, «#!»); only documents, images and audio are taken."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from service.accounts.viewer import Viewer
from service.errors import Refused
from service.journal import access
from service.settings import get_settings
from service.timetable.tables import Lesson

NAME_MAX = 200

# what may be attached: documents, images, audio — extension → the content type it is served as
ALLOWED = {
    "pdf": "application/pdf", "txt": "text/plain; charset=utf-8", "rtf": "application/rtf",
    "csv": "text/csv; charset=utf-8",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "djvu": "image/vnd.djvu", "epub": "application/epub+zip",
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
    "webp": "image/webp", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff",
    "heic": "image/heic",
    "mp3": "audio/mpeg", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg",
    "wav": "audio/wav", "m4a": "audio/mp4", "flac": "audio/flac",
}
# programs and scripts: named in the refusal, so a teacher knows why
EXECUTABLE = {
    "exe", "bat", "cmd", "com", "msi", "msp", "sh", "bash", "js", "mjs", "jse", "vbs", "vbe", "ps1",
    "psm1", "jar", "scr", "apk", "dll", "sys", "cpl", "pif", "hta", "wsf", "wsh", "lnk", "reg",
    "app", "dmg", "deb", "rpm", "run", "bin", "elf", "py", "pl", "php", "rb", "svg", "html", "htm",
    "xhtml", "docm", "xlsm", "pptm", "iso", "img",
}
# the first bytes of programs, whatever they are called
MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf",
         b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"dex\n")

EXECUTABLE_MESSAGE = ("Файл: программы и скрипты прикладывать нельзя (файл «{name}»). Приложите "
                      "документ, картинку или звукозапись")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def kb_text(kb: int) -> str:
    return f"{kb // 1024} МБ" if kb % 1024 == 0 else f"{kb} КБ"


def clean_name(name: str) -> str:
    """The uploaded name without folders, control and reserved characters, at most
    ``NAME_MAX`` characters (the extension kept); «файл» when nothing is left."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = _UNSAFE.sub("_", base).strip().strip(".").strip()
    if not base:
        return "файл"
    if len(base) > NAME_MAX:
        stem, dot, ext = base.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            base = stem[:NAME_MAX - len(ext) - 1] + "." + ext
        else:
            base = base[:NAME_MAX]
    return base


def extension(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


def check_upload(name: str, data: bytes, max_kb: int, where: str = "задания") -> tuple[str, str]:
    """The clean name and the content type of an attachment, or ``Refused`` (field «file»):
    empty, bigger than the school's limit, a program or script by its extension or its first
    bytes, or a type that is not a document, image or sound."""
    shown = clean_name(name)
    if not data:
        raise Refused("Файл: выберите файл (пустой файл не приложить)", field="file")
    if len(data) > max_kb * 1024:
        raise Refused(f"Файл «{shown}» больше {kb_text(max_kb)} — такой файл не приложить. Уменьшите "
                      "его (сожмите фотографии, сохраните документ в PDF) или дайте ссылку в тексте "
                      f"{where}", field="file")
    ext = extension(shown)
    # every extension of the name counts: «задание.pdf.exe» and «задание.exe.pdf» are both refused
    parts = {p.lower() for p in shown.split(".")[1:]}
    if ext in EXECUTABLE or parts & EXECUTABLE or data.startswith(MAGIC):
        raise Refused(EXECUTABLE_MESSAGE.format(name=shown), field="file")
    if ext not in ALLOWED:
        raise Refused(f"Файл «{shown}»: такие файлы не принимаются. Можно приложить документ (PDF, "
                      "Word, OpenDocument, текст), таблицу, презентацию, картинку или звукозапись",
                      field="file")
    return shown, ALLOWED[ext]


def files_dir() -> Path:
    """Where uploads live: the folder the backup manifest takes (``backups/manifest.py``), so
    homework files and message attachments are backed up and restored with the database."""
    return get_settings().backup_path("uploads_dir")


def path_of(sha: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha or ""):
        raise ValueError("not a sha256")
    return files_dir() / sha[:2] / sha


def store(data: bytes) -> str:
    """Keep the content (once: the same content is one file) and return its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    target = path_of(sha)
    if target.exists() and target.stat().st_size == len(data):
        return sha
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o640)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return sha


def read(sha: str) -> bytes | None:
    try:
        return path_of(sha).read_bytes()
    except (OSError, ValueError):
        return None


async def file_row(file_id: int) -> dict | None:
    """A homework file that is not removed, with its lesson's date (none: no such file)."""
    if not 0 < file_id <= 2**31 - 1:
        return None
    rows = await Lesson.raw(
        "SELECT f.id, f.lesson, f.student, f.name, f.content_type, f.size, f.sha256, f.uploaded_at "
        "FROM homework_file f WHERE f.id = {} AND f.removed_at IS NULL", file_id).run()
    return rows[0] if rows else None


async def may_download(viewer: Viewer, row: dict) -> bool:
    """Who may download a homework file: staff who may see the lesson's journal or write the
    lesson; the students of the lesson (an individual file: only its student) and their parents.
    Shared with the diary."""
    lesson = await access.lesson(row["lesson"])
    if await access.may_write(viewer, lesson):
        return True
    ref = access.ref_of_lesson(lesson)
    if ref is not None and (viewer.can("journal.view") or viewer.can("journal.teach")
                            or viewer.can("journal.class")):
        if await access.may_view(viewer, await access.journal(ref)):
            return True
    elif ref is None and viewer.can("journal.view"):
        return True
    if viewer.person_id is None:
        return False
    kids = await Lesson.raw("SELECT child FROM parent_link WHERE parent = {}", viewer.person_id).run()
    people = {viewer.person_id} | {k["child"] for k in kids}
    if row["student"] is not None:
        return row["student"] in people
    if ref is None:
        return lesson["student"] in people
    day = lesson["on_date"]
    spans = await access.members(ref, day, day)
    return any(access.belongs(spans.get(p, []), day) for p in people)

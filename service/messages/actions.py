"""The only code that writes messages (R-MSG-1): start a thread (or one thread per parent of a
class), answer in a thread, mark a thread's messages read. Each writes its rows and its audit
row in one transaction; the audit row names the people, the times, the attachments and the
SHA-256 of the text — never the text.

Who may write to whom is decided here, by ``queries.contacts`` — the same query that fills
the page's list — so a direct POST can do no more than the page offers. Anyone may answer in a
thread they are a side of; nobody else knows it exists (404).

Every change of a thread first updates the thread's row (which locks it on PostgreSQL), then
its messages: an answer and the other side's opening of the thread never interleave, so the
unread counters and ``read_at`` agree."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic, fetch, xact_lock
from service.errors import NotFound, Refused
from service.journal import access, files
from service.messages import queries, rules
from service.messages.queries import Contact


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def check_subject(subject: str) -> str:
    text = (subject or "").strip()
    if not text:
        raise Refused("Тема: напишите, о чём сообщение", field="subject")
    if len(text) > rules.SUBJECT_MAX:
        raise Refused(f"Тема: не длиннее {rules.SUBJECT_MAX} символов (сейчас {len(text)})", field="subject")
    if any(ord(ch) < 32 for ch in text):
        raise Refused("Тема: недопустимый символ (перевод строки или служебный знак)", field="subject")
    return text


def check_body(body: str, has_files: bool) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text and not has_files:
        raise Refused("Сообщение: напишите текст или приложите файл", field="body")
    if len(text) > rules.BODY_MAX:
        raise Refused(f"Сообщение: не длиннее {rules.BODY_MAX} символов (сейчас {len(text)}). Разделите его "
                      "на несколько или приложите документ", field="body")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise Refused("Сообщение: недопустимый служебный символ в тексте", field="body")
    return text


def check_files(uploads: list[Upload]) -> list[tuple[str, str, bytes]]:
    """(clean name, content type, content) of each attachment, or ``Refused`` naming the file:
    at most ``FILES_MAX``, each a document, image or sound within the size limit, all together
    within ``TOTAL_MAX_KB``."""
    if len(uploads) > rules.FILES_MAX:
        raise Refused(f"Файлы: не больше {rules.FILES_MAX} к одному сообщению (выбрано {len(uploads)})",
                      field="file")
    checked = []
    for u in uploads:
        name, content_type = files.check_upload(u.name, u.data, rules.FILE_MAX_KB, where="сообщения")
        checked.append((name, content_type, u.data))
    if sum(len(d) for *_, d in checked) > rules.TOTAL_MAX_KB * 1024:
        raise Refused(f"Файлы: вместе больше {files.kb_text(rules.TOTAL_MAX_KB)} — приложите часть к "
                      "следующему сообщению", field="file")
    return checked


def _id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 10 and 0 < int(text) <= 2**31 - 1 \
        else None


async def recipients(viewer: Viewer, to: str, today: date) -> list[Contact]:
    """Whom «Кому» names, if the viewer may write to them: «person.about» (one person about one
    pupil, «.0» between staff) or «class:ID» (every parent of that class the viewer may write
    to, one thread each). ``Refused`` (field «to») otherwise."""
    to = (to or "").strip()
    if not to:
        raise Refused("Кому: выберите, кому написать", field="to")
    if to.startswith("class:"):
        class_id = _id(to.removeprefix("class:"))
        found = [c for c in await queries.contacts(viewer, today, class_id=class_id)
                 if class_id is not None and c.side == "parent" and c.class_id == class_id] if class_id else []
        if not found:
            raise Refused("Кому: в этом классе нет родителей, которым вы можете написать", field="to")
        if len(found) > rules.MASS_MAX:
            raise Refused(f"Кому: родителей больше {rules.MASS_MAX} — напишите по группам", field="to")
        return found
    person, _, about = to.partition(".")
    pid, about_id = _id(person), (_id(about) if about not in ("", "0") else None)
    if pid is None or (about not in ("", "0") and about_id is None):
        raise Refused("Кому: выберите получателя из списка", field="to")
    chosen = queries.pick(await queries.contacts(viewer, today, person=pid), about_id)
    if chosen is None:
        raise Refused("Кому: этому человеку вы написать не можете — родители пишут учителям и классному "
                      "руководителю своих детей и администрации, учителя — своим ученикам, их родителям и "
                      "коллегам", field="to")
    return [chosen]


async def _insert_message(thread: int, author: int, author_as: str, addressee: int, body: str,
                          checked: list[tuple[str, str, bytes]], shas: list[str]) -> int:
    now = access.now()
    message = (await fetch(
        "INSERT INTO thread_message (thread, author, author_as, addressee, body, sent_at) "
        "VALUES ({}, {}, {}, {}, {}, {}) RETURNING id", thread, author, author_as, addressee, body, now))[0][0]
    for (name, content_type, data), sha in zip(checked, shas, strict=True):
        await fetch("INSERT INTO message_file (message, name, content_type, size, sha256) "
                    "VALUES ({}, {}, {}, {}, {}) RETURNING id", message, name, content_type, len(data), sha)
    return message


def _audit_new(message: int, to: Contact | dict, body: str, checked: list) -> dict:
    return {"message": message, "to": to["person"] if isinstance(to, dict) else to.person,
            "about": to["about"] if isinstance(to, dict) else to.about,
            "length": len(body), "sha256": hashlib.sha256(body.encode()).hexdigest(),
            "files": [{"name": n, "size": len(d)} for n, _, d in checked]}


async def _same_message(author: int, addressee: int, body: str, thread: int | None = None) -> int | None:
    """The thread of an identical message the author sent the same person in the last
    ``rules.REPEAT_SECONDS`` (a double click, a form sent twice): it is answered, not repeated."""
    since = access.now() - timedelta(seconds=rules.REPEAT_SECONDS)
    rows = await fetch(
        "SELECT m.thread AS thread FROM thread_message m WHERE m.author = {} AND m.addressee = {} AND m.body = {} "
        "AND m.sent_at >= {}" + (" AND m.thread = {}" if thread is not None else "") + " ORDER BY m.id DESC LIMIT 1",
        author, addressee, body, since, *([thread] if thread is not None else []))
    return rows[0][0] if rows else None


async def do_start(viewer: Viewer, to: str, subject: str, body: str, uploads: list[Upload],
                   today: date) -> list[int]:
    """Start a thread with whom «Кому» names (one per parent for a class); returns the threads.
    Nothing is written when anything is refused. The same message to the same person sent again
    within seconds (a double click) makes no second thread: its thread is returned."""
    if viewer.person_id is None or not viewer.can("messages.use"):
        raise NotFound()
    subject = check_subject(subject)
    checked = check_files(uploads)
    body = check_body(body, bool(checked))
    targets = await recipients(viewer, to, today)
    shas = [files.store(d) for *_, d in checked]
    made = []
    async with atomic():
        await xact_lock(f"messages-from-{viewer.person_id}")  # two submissions at once: one after the other
        for c in targets:
            again = await _same_message(viewer.person_id, c.person, body) if not checked else None
            if again is not None:
                made.append(again)
                continue
            now = access.now()
            thread = (await fetch(
                "INSERT INTO message_thread (subject, starter, starter_as, recipient, recipient_as, about, "
                "started_at, last_at, starter_unread, recipient_unread) "
                "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, 0, 1) RETURNING id",
                subject, viewer.person_id, c.my_side, c.person, c.side, c.about, now, now))[0][0]
            message = await _insert_message(thread, viewer.person_id, c.my_side, c.person, body, checked, shas)
            await record(viewer.actor, "messages.sent", "message_thread", thread,
                         new={**_audit_new(message, c, body, checked), "subject": subject, "as": c.my_side})
            made.append(thread)
    return made


async def do_reply(viewer: Viewer, thread_id: int, body: str, uploads: list[Upload]) -> int:
    """Answer in one of the viewer's threads; the other side's unanswered messages are answered
    (and read) now. Returns the new message."""
    if viewer.person_id is None or not viewer.can("messages.use"):
        raise NotFound()
    checked = check_files(uploads)
    body = check_body(body, bool(checked))
    me = viewer.person_id
    async with atomic():
        t = await queries.thread(viewer, thread_id)
        if t is None:
            raise NotFound()
        mine, theirs = ("starter", "recipient") if t["mine"] else ("recipient", "starter")
        await fetch("UPDATE message_thread SET id = id WHERE id = {} RETURNING id", thread_id)  # the thread's lock
        if not checked:
            again = await _same_message(me, t["other"], body, thread_id)
            if again is not None:
                last = await fetch("SELECT MAX(id) AS id FROM thread_message WHERE thread = {} AND author = {}",
                                   thread_id, me)
                return last[0][0]
        now = access.now()
        await fetch(f"UPDATE message_thread SET last_at = {{}}, {theirs}_unread = {theirs}_unread + 1, "
                    f"{mine}_unread = 0 WHERE id = {{}} RETURNING id", now, thread_id)
        await fetch("UPDATE thread_message SET answered_at = {} WHERE thread = {} AND addressee = {} AND answered_at IS NULL "
                    "RETURNING id", now, thread_id, me)
        await fetch("UPDATE thread_message SET read_at = {} WHERE thread = {} AND addressee = {} AND read_at IS NULL "
                    "RETURNING id", now, thread_id, me)
        shas = [files.store(d) for *_, d in checked]
        message = await _insert_message(thread_id, me, t["my_as"], t["other"], body, checked, shas)
        await record(viewer.actor, "messages.sent", "message_thread", thread_id,
                     new=_audit_new(message, {"person": t["other"], "about": t["about"]}, body, checked))
        return message


async def do_mark_read(viewer: Viewer, thread_id: int) -> int:
    """The viewer opened the thread: the other side's unread messages are read now. Returns how
    many were; audited only when there were any."""
    if viewer.person_id is None:
        raise NotFound()
    me = viewer.person_id
    async with atomic():
        t = await queries.thread(viewer, thread_id)
        if t is None:
            raise NotFound()
        mine = "starter" if t["mine"] else "recipient"
        now = access.now()
        await fetch(f"UPDATE message_thread SET {mine}_unread = 0 WHERE id = {{}} RETURNING id", thread_id)
        read = await fetch("UPDATE thread_message SET read_at = {} WHERE thread = {} AND addressee = {} AND read_at IS NULL "
                           "RETURNING id", now, thread_id, me)
        if read:
            await record(viewer.actor, "messages.read", "message_thread", thread_id,
                         new={"messages": sorted(r[0] for r in read), "at": now.isoformat()})
        return len(read)

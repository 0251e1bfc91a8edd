"""Long archive work beside the request: a year's seal, a grade's or the whole school's
transcripts (issue 12 items 5–6). The L school's seal takes minutes; a browser gives up on a
request after five (and nginx after ``proxy_read_timeout``), so a page waiting for it would
answer «Gateway Timeout» while the work went on unseen.

The request waits up to ``WAIT`` seconds: a class's batch or a small school's seal answers as
before, its refusals on the form. Longer work goes on in this worker process, and the archive
page shows it — its stage while it runs, then how it ended (done, or refused with the action's
own Russian message), for a day. The state is a small JSON file per job in the archive folder,
so every worker process shows the same; a job whose process stopped (a restart in the middle)
is shown as interrupted: its action holds the folder's lock while it runs, and a lock nobody
holds is a job nobody runs. Each action keeps its own rules, locks and audit rows; nothing here
writes to the database."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from service import locks
from service.accounts.viewer import Viewer
from service.errors import Refused
from service.records import issue
from service.settings import get_settings

WAIT = 20.0  # seconds a request waits for its job before the page takes over
SHOWN_FOR = 24 * 3600  # a finished job stays on the page this long
SAY_EVERY = 2.0  # at most one progress write in this many seconds
# a «running» job whose file is this old while nobody holds its lock has stopped (before it takes
# the lock an action checks its input, which on a big school may take a while)
STOPPED_AFTER = 60.0
FOLDER = ".jobs"
LOCKS = {"seal": ".seal.lock", "issue": ".issue.lock"}  # the actions' own locks (issue.alone)
_tasks: set[asyncio.Task] = set()  # running jobs: kept, or the loop may drop them
_unanswered: set[asyncio.Task] = set()  # those whose request answered before they ended
_log = logging.getLogger("ezh")
INTERRUPTED = ("Работа прервана: служба была остановлена или перезапущена, пока она шла. Наполовину ничего не "
               "выпущено и не запечатано — запустите её снова.")


# who sees a job besides the one who started it: its messages may name classes and pupils
SEEN_BY = {"seal": ("records.seal", "archive.view"), "issue": ("records.issue",)}


@dataclass
class Job:
    id: str
    kind: str  # "seal" | "issue"
    title: str  # «Запечатывание учебного года»
    by: str
    user_id: int
    started_at: datetime
    stage: str
    state: str  # "running" | "done" | "refused" | "failed" | "interrupted"
    message: str  # how it ended, for a person

    @property
    def running(self) -> bool:
        return self.state == "running"


def _folder() -> Path:
    return issue.archive_dir() / FOLDER


def _write(job_id: str, state: dict) -> None:
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{job_id}.tmp"
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / f"{job_id}.json")


def _held(kind: str) -> bool:
    """Whether some process holds the action's lock."""
    return locks.held(issue.archive_dir() / LOCKS[kind])


async def run(kind: str, title: str, viewer: Viewer, work: Callable[[Callable[[str], None]], Awaitable[Any]],
              ended: Callable[[Any], str]) -> tuple[bool, Any]:
    """Start ``work(say)`` and wait up to ``WAIT`` seconds. Finished by then: ``(True, its
    result)``, or its ``Refused`` raised here, as if it had run in the request. Still running:
    ``(False, None)``, and the archive page shows it from now on; ``ended(result)`` is the
    sentence it shows when the work is done."""
    job_id = f"{kind}-{time.time_ns()}-{secrets.token_hex(4)}"
    state = {"kind": kind, "title": title, "by": viewer.full_name, "user_id": viewer.user_id, "started_at": datetime.now(get_settings().tz).isoformat(),
             "stage": "", "state": "running", "message": ""}
    await asyncio.to_thread(_write, job_id, state)
    said = [0.0]
    writing = threading.Lock()  # a late progress report never overwrites how the job ended

    def say(stage: str) -> None:  # from the event loop or a worker thread: a file write either way
        with writing:
            now = time.monotonic()
            if now - said[0] >= SAY_EVERY and state["state"] == "running":
                said[0] = now
                _write(job_id, {**state, "stage": stage})

    def write_end() -> None:
        with writing:
            _write(job_id, state)

    async def guarded() -> Any:
        try:
            result = await work(say)
        except Refused as exc:
            state.update(state="refused", message=exc.message)
            raise
        except asyncio.CancelledError:  # the service stopping: the action left nothing half-done
            state.update(state="interrupted", message=INTERRUPTED)
            raise
        except BaseException as exc:
            state.update(state="failed", message=f"Работа прервана ошибкой сервера ({type(exc).__name__}): "
                                                 "подробности — в журнале службы. Повторите позже.")
            raise
        finally:
            if state["state"] == "running":
                state["state"] = "done"
        state["message"] = ended(result)
        return result

    async def keep() -> Any:
        try:
            return await guarded()
        finally:
            await asyncio.to_thread(write_end)

    task = asyncio.create_task(keep())
    _tasks.add(task)
    task.add_done_callback(_forget)
    done, _ = await asyncio.wait({task}, timeout=WAIT)
    if not done:
        _unanswered.add(task)
        return False, None
    # answered by this request: the page need not show it
    await asyncio.to_thread(lambda: (_folder() / f"{job_id}.json").unlink(missing_ok=True))
    return True, task.result()


def _forget(task: asyncio.Task) -> None:
    _tasks.discard(task)
    alone = task in _unanswered  # no request is left to raise its error where it is logged
    _unanswered.discard(task)
    if task.cancelled():
        return
    exc = task.exception()  # retrieved: a refusal is on the page, not «never retrieved»
    if alone and exc is not None and not isinstance(exc, Refused):
        _log.error("archive job failed after its request had answered", exc_info=exc)


def recent(viewer: Viewer) -> list[Job]:
    """The jobs to show ``viewer`` on the archive page — their own, and those of a kind their
    rights cover (``SEEN_BY``): running ones, and those that ended within a day; newest first.
    Older files are removed."""
    folder = _folder()
    if not folder.is_dir():
        return []
    out = []
    for path in folder.glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            age = time.time() - path.stat().st_mtime
            job = Job(id=path.stem, kind=data["kind"], title=data["title"], by=data["by"], user_id=data["user_id"],
                      started_at=datetime.fromisoformat(data["started_at"]), stage=data["stage"],
                      state=data["state"], message=data["message"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a file being replaced, or not ours
        if job.state != "running" and age > SHOWN_FOR:
            path.unlink(missing_ok=True)
            continue
        if job.user_id != viewer.user_id and not any(viewer.can(p) for p in SEEN_BY.get(job.kind, ())):
            continue
        if job.running and age > STOPPED_AFTER and not _held(job.kind):
            job.state = "interrupted"
            job.message = INTERRUPTED
        out.append(job)
    return sorted(out, key=lambda j: j.started_at, reverse=True)

"""/healthz — the process answers; /readyz — the database answers and its schema is current.

Both are open to anyone who reaches the server, so they say only "ok", "ready" or "not ready";
why not goes to the log (and `ezh check` says it in full to the administrator)."""

from __future__ import annotations

from litestar import Response, get
from litestar.enums import MediaType

from service import db
from service.web import log


@get("/healthz", media_type=MediaType.TEXT)
async def healthz() -> str:
    return "ok"


@get("/readyz", media_type=MediaType.TEXT)
async def readyz() -> Response:
    try:
        await db.ping()
        state = await db.migration_state()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        problem = str(exc)
    else:
        problem = ("the database is newer than this ezh (unknown migrations)" if state.unknown
                   else f"{len(state.pending)} migrations pending (ezh migrate)"
                   if not state.current else "")
    if problem:
        log.warning("readyz: not ready: %s", problem)
        return Response("not ready", status_code=503, media_type=MediaType.TEXT)
    return Response("ready", media_type=MediaType.TEXT)

"""/healthz — the process answers; /readyz — the database answers and its schema is current."""

from __future__ import annotations

from litestar import Response, get
from litestar.enums import MediaType

from service import db


@get("/healthz", media_type=MediaType.TEXT)
async def healthz() -> str:
    return "ok"


@get("/readyz", media_type=MediaType.TEXT)
async def readyz() -> Response:
    try:
        await db.ping()
        state = await db.migration_state()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said in words
        return Response(f"not ready: {exc}", status_code=503, media_type=MediaType.TEXT)
    if state.unknown:
        return Response("not ready: the database is newer than this ezh (unknown migrations)",
                        status_code=503, media_type=MediaType.TEXT)
    if not state.current:
        return Response(f"not ready: {len(state.pending)} migrations pending (ezh migrate)",
                        status_code=503, media_type=MediaType.TEXT)
    return Response("ready", media_type=MediaType.TEXT)

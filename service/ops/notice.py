"""The banner of a planned long maintenance on every page (R-OPS-3), read cheaply.

service/ops/routes.py registers it with the web layer (service/web/middleware.py), which
asks it to refresh before each page; it reads the table at most every ``TTL`` seconds per
process, so a page costs no query for it: the list is tiny (maintenance not yet over) and the
banner is filtered by the clock at render time. An action in this process refreshes at once;
other processes (the other workers, ``ezh maintenance announce``) within ``TTL``.

Imports only the table and the settings: it runs for every page."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from service.ops.tables import PlannedMaintenance
from service.settings import get_settings

TTL = 60.0

_cache: dict = {"engine": None, "at": -TTL, "rows": []}


async def refresh_if_stale() -> None:
    db = PlannedMaintenance._meta.db
    if _cache["engine"] is db and time.monotonic() - _cache["at"] < TTL:
        return
    try:
        rows = await (PlannedMaintenance.select(
            PlannedMaintenance.id, PlannedMaintenance.starts_at, PlannedMaintenance.ends_at,
            PlannedMaintenance.reason)
            .where(PlannedMaintenance.cancelled_at.is_null(),
                   PlannedMaintenance.ends_at > datetime.now(UTC))
            .order_by(PlannedMaintenance.starts_at).run())
    except Exception:  # noqa: BLE001 - no banner is better than no page (schema not migrated yet)
        rows = []
    _cache.update(engine=db, at=time.monotonic(), rows=rows)


def forget() -> None:
    """After a change in this process: the next request reads the table again."""
    _cache.update(engine=None, at=-TTL, rows=[])


def planned_notices(now: datetime | None = None) -> list[dict]:
    """The maintenance to announce now: every one not cancelled and not yet over (shown from
    the announcement on — at least a week ahead — until it ends)."""
    if _cache["engine"] is not PlannedMaintenance._meta.db:
        return []
    now = now or datetime.now(UTC)
    tz = get_settings().tz
    return [{"kind": "planned", "starts_at": r["starts_at"].astimezone(tz), "ends_at": r["ends_at"].astimezone(tz),
             "reason": r["reason"], "now": r["starts_at"] <= now}
            for r in _cache["rows"] if r["ends_at"] > now]

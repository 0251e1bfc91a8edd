"""Operations' own records. Imports nothing but Piccolo: the web layer reads the planned
maintenance for the banner on every page (service/ops/notice.py)."""

from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class PlannedMaintenance(Table, tablename="planned_maintenance"):
    """«Плановые длительные регламентные работы» (R-OPS-3): in the holidays, announced at least
    a week ahead; cancelled by setting ``cancelled_at``, never deleted."""

    starts_at = Timestamptz()
    ends_at = Timestamptz()
    reason = Text()
    announced_at = Timestamptz()
    announced_by = Varchar(length=64)
    cancelled_at = Timestamptz(null=True, default=None)
    cancelled_by = Varchar(length=64, default="")
    cancel_reason = Text(default="")


class AvailabilitySpan(Table, tablename="availability_span"):
    """What the minute probe saw (R-OPS-2): one row per stretch of one state, extended by each
    probe that finds the same state. A gap between rows is time nobody probed — the server
    itself was off — and counts as down."""

    since = Timestamptz(index=True)
    until = Timestamptz()
    up = Boolean()
    probes = Integer(default=1)
    problem = Varchar(length=300, default="")  # why the last probe of a down stretch failed

"""The diary's own records: a parent's acknowledgement of a period's finals («Ознакомлен(а)»,
004 item 6, R-GRADE-6), and the daily digest by e-mail (issue 10 item 5): who asked for it
and which digest went to whom. Everything else the diary shows is the journal's and the
timetable's.

One row per period × student × parent (a unique index, raw SQL in the migration): a second
acknowledgement, even two at once, adds nothing. One digest per parent and day (the same): a
second run of `ezh digest` on a day sends nobody anything twice. Nothing is deleted."""

from piccolo.columns import Boolean, Date, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from service.accounts.tables import Person
from service.school.tables import StudyPeriod

RESTRICT = OnDelete.restrict


class FinalsAcknowledgement(Table, tablename="finals_acknowledgement"):
    """«Ознакомлен(а) с итоговыми отметками»: ``parent`` saw ``student``'s finals of
    ``period`` at ``acknowledged_at``."""

    period = ForeignKey(StudyPeriod, on_delete=RESTRICT, index=True)
    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    parent = ForeignKey(Person, on_delete=RESTRICT)
    acknowledged_at = Timestamptz()


class DigestSubscription(Table, tablename="digest_subscription"):
    """A parent's choice of the daily digest («ежедневная сводка на почту»): off until they
    switch it on (``enabled``); one row per parent, changed in place, each change audited."""

    person = ForeignKey(Person, on_delete=RESTRICT, unique=True)
    enabled = Boolean(default=False)
    changed_at = Timestamptz()


class DigestSent(Table, tablename="digest_sent"):
    """The digest of ``day`` went to ``person`` at ``address`` at ``sent_at`` (unique per person
    and day: raw SQL in the migration). Written only after the mail server took the message, so
    a parent whose message failed is tried again by the next run."""

    person = ForeignKey(Person, on_delete=RESTRICT)
    day = Date()
    sent_at = Timestamptz()
    address = Varchar(length=200)

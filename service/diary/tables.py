"""The diary's own record: a parent's acknowledgement of a period's finals («Ознакомлен(а)»,
004 item 6, R-GRADE-6). Everything else the diary shows is the journal's and the timetable's.

One row per period × student × parent (a unique index, raw SQL in the migration): a second
acknowledgement, even two at once, adds nothing. Nothing is deleted."""

from piccolo.columns import ForeignKey, Timestamptz
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

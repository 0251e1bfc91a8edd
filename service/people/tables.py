"""Records about people kept by class teachers: family links (more follows: consent, health)."""

from piccolo.columns import Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from service.accounts.tables import Person


class ParentLink(Table, tablename="parent_link"):
    """A parent or legal representative («законный представитель») of a student."""

    parent = ForeignKey(Person, on_delete=OnDelete.restrict, index=True)
    child = ForeignKey(Person, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=20, default="")  # мать, отец, опекун, …
    is_legal_representative = Boolean(default=True)
    created_at = Timestamptz()

"""Records about people kept by class teachers and the office: family links, consent to the
processing of personal data, the health sheet."""

from piccolo.columns import Boolean, Date, ForeignKey, Text, Timestamptz, Varchar
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


class Consent(Table, tablename="pd_consent"):
    """Consent to the processing of personal data («согласие на обработку персональных данных»,
    152-ФЗ): whose data, who signed (a parent for a child), the scope, when; withdrawn by a date,
    never deleted."""

    person = ForeignKey(Person, on_delete=OnDelete.restrict, index=True)
    signed_by = ForeignKey(Person, on_delete=OnDelete.restrict, null=True, default=None)
    scope = Varchar(length=300)
    given_on = Date()
    withdrawn_on = Date(null=True, default=None)
    document_ref = Varchar(length=100, default="")
    created_at = Timestamptz()


class HealthRecord(Table, tablename="health_record"):
    """A line of the health sheet («листок здоровья»): a student's health group and PE group
    from a date, with the doctor's recommendations. Special-category personal data: seen only
    by the class teacher, PE teachers, the nurse and the administration, every read logged."""

    student = ForeignKey(Person, on_delete=OnDelete.restrict, index=True)
    health_group = Varchar(length=4)  # I–V
    pe_group = Varchar(length=20)  # основная | подготовительная | специальная А | специальная Б | освобождён
    recommendations = Text(default="")
    valid_from = Date()
    valid_to = Date(null=True, default=None)
    created_at = Timestamptz()

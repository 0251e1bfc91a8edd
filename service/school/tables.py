"""The school's structure: academic years, classes, subjects, teaching load, enrolments."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from service.accounts.tables import Person

RESTRICT = OnDelete.restrict


class AcademicYear(Table, tablename="academic_year"):
    """«Учебный год», e.g. 2026/2027."""

    name = Varchar(length=20, unique=True)
    starts_on = Date()
    ends_on = Date()
    is_current = Boolean(default=False)


class SchoolClass(Table, tablename="school_class"):
    """«Класс»: grade (1–11) and letter within a year; its class teacher («классный руководитель»)."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    grade = Integer()
    letter = Varchar(length=4)
    name = Varchar(length=10)
    class_teacher = ForeignKey(Person, on_delete=RESTRICT, null=True, index=True)
    created_at = Timestamptz()


class Subject(Table, tablename="subject"):
    """«Учебный предмет»."""

    name = Varchar(length=150, unique=True)
    short_name = Varchar(length=30, default="")


class TeachingLoad(Table, tablename="teaching_load"):
    """«Учебная нагрузка»: teacher × subject × class × hours a week, dated (history is kept)."""

    teacher = ForeignKey(Person, on_delete=RESTRICT, index=True)
    subject = ForeignKey(Subject, on_delete=RESTRICT)
    school_class = ForeignKey(SchoolClass, on_delete=RESTRICT, index=True)
    hours_per_week = Integer(default=1)
    starts_on = Date()
    ends_on = Date(null=True, default=None)


class Enrolment(Table, tablename="enrolment"):
    """A student's membership of a class for a span of dates («зачисление»); the order book
    entry that made it is named by ``order_ref``. Closed by setting ``ends_on``, never deleted."""

    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    school_class = ForeignKey(SchoolClass, on_delete=RESTRICT, index=True)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    order_ref = Varchar(length=100, default="")


class StaffMember(Table, tablename="staff_member"):
    """A person on the staff («сотрудник») with the post as written in the staff list."""

    person = ForeignKey(Person, on_delete=RESTRICT, unique=True)
    post = Varchar(length=150)
    starts_on = Date()
    ends_on = Date(null=True, default=None)

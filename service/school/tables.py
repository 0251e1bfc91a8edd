"""The school's structure: academic years with their calendar, classes and groups, subjects,
teaching load, the order book and the dated memberships it makes. Nothing is deleted: a dated
row is closed by its ``ends_on``, a mistaken order is cancelled by another order."""

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
    closed_at = Timestamptz(null=True, default=None)  # after the rollover: read-only for good


class StudyPeriod(Table, tablename="study_period"):
    """«Учебный период»: a quarter, trimester or half-year of a year for a range of grades
    (quarters for 1–9 and half-years for 10–11 by default)."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    scheme = Varchar(length=16)  # "quarters" | "trimesters" | "halves"
    number = Integer()
    name = Varchar(length=40)  # «1 четверть», «2 полугодие»
    grade_from = Integer()
    grade_to = Integer()
    starts_on = Date()
    ends_on = Date()


class CalendarDay(Table, tablename="calendar_day"):
    """Days without lessons or with a changed status: «каникулы» (holidays, a span), a public
    holiday or day off, or a working day moved from a weekend. For a range of grades."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    kind = Varchar(length=16)  # "holidays" | "day_off" | "workday"
    name = Varchar(length=100)
    grade_from = Integer(default=1)
    grade_to = Integer(default=11)
    starts_on = Date()
    ends_on = Date()


class SchoolClass(Table, tablename="school_class"):
    """«Класс»: grade (1–11) and letter within a year; its class teacher («классный руководитель»)."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    grade = Integer()
    letter = Varchar(length=4)
    name = Varchar(length=10)
    class_teacher = ForeignKey(Person, on_delete=RESTRICT, null=True, index=True)
    created_at = Timestamptz()
    week_days = Integer(default=5)  # a five- or six-day week (R-YEAR-2)


class Subject(Table, tablename="subject"):
    """«Учебный предмет»."""

    name = Varchar(length=150, unique=True)
    short_name = Varchar(length=30, default="")


class StudyGroup(Table, tablename="study_group"):
    """«Группа»: a subgroup of a class for a subject (languages, IT, labour) or a cross-class
    group (profile course, elective, факультатив, club, extended-day group ГПД, additional
    education). Each has its own journal later (R-JOURNAL-1)."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    name = Varchar(length=100)
    kind = Varchar(length=16)  # "subgroup" | "profile" | "elective" | "optional" | "club" | "gpd" | "extra"
    school_class = ForeignKey(SchoolClass, on_delete=RESTRICT, null=True, index=True)  # subgroups
    subject = ForeignKey(Subject, on_delete=RESTRICT, null=True)
    created_at = Timestamptz()


class SchoolOrder(Table, tablename="school_order"):
    """«Приказ» in the order book: its number and date, what it does. A mistaken order is
    cancelled by another order (``cancels``), never edited or deleted."""

    number = Varchar(length=40)
    dated = Date()
    kind = Varchar(length=16)  # "enrol" | "transfer" | "withdraw" | "promote" | "graduate" | "groups" | "cancel"
    title = Varchar(length=300)
    cancels = ForeignKey("self", on_delete=RESTRICT, null=True, default=None)
    created_at = Timestamptz()
    created_by = Integer(null=True, default=None)


class Movement(Table, tablename="movement"):
    """«Движение»: one student's line of an order (enrolled into, moved from/to, withdrawn),
    with the date it takes effect and the reason."""

    school_order = ForeignKey(SchoolOrder, on_delete=RESTRICT, index=True)
    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    kind = Varchar(length=16)
    from_class = ForeignKey(SchoolClass, on_delete=RESTRICT, null=True, default=None)
    to_class = ForeignKey(SchoolClass, on_delete=RESTRICT, null=True, default=None)
    study_group = ForeignKey(StudyGroup, on_delete=RESTRICT, null=True, default=None)
    on_date = Date()
    reason = Varchar(length=300, default="")


class TeachingLoad(Table, tablename="teaching_load"):
    """«Учебная нагрузка»: teacher × subject × class or group × hours a week, dated (history is
    kept). Exactly one of ``school_class`` and ``study_group`` is set."""

    teacher = ForeignKey(Person, on_delete=RESTRICT, index=True)
    subject = ForeignKey(Subject, on_delete=RESTRICT)
    school_class = ForeignKey(SchoolClass, on_delete=RESTRICT, null=True, index=True)
    study_group = ForeignKey(StudyGroup, on_delete=RESTRICT, null=True, default=None, index=True)
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
    school_order = ForeignKey(SchoolOrder, on_delete=RESTRICT, null=True, default=None)


class GroupMember(Table, tablename="group_member"):
    """A student's membership of a study group for a span of dates (like ``Enrolment``)."""

    study_group = ForeignKey(StudyGroup, on_delete=RESTRICT, index=True)
    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    school_order = ForeignKey(SchoolOrder, on_delete=RESTRICT, null=True, default=None)


class StaffMember(Table, tablename="staff_member"):
    """A person on the staff («сотрудник») with the post as written in the staff list."""

    person = ForeignKey(Person, on_delete=RESTRICT, unique=True)
    post = Varchar(length=150)
    starts_on = Date()
    ends_on = Date(null=True, default=None)

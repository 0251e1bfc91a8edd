"""The timetable: rooms, bell schedules, timetable versions with their weekly slots, the dated
lessons they produce, changes for a date, teacher absences, home schooling and calendar feeds.

A *slot* is a line of the weekly timetable (weekday × lesson number × week A/B → subject, teacher,
room, class or group or one student). A *lesson* is one dated lesson made from a slot (or added
for a date); the journal fills lessons and marks them ``has_records`` — the timetable never
moves or deletes such a lesson again."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from service.accounts.tables import Person
from service.school.tables import AcademicYear, SchoolClass, StudyGroup, Subject

RESTRICT = OnDelete.restrict
CASCADE = OnDelete.cascade


class Room(Table, tablename="room"):
    """«Кабинет»: a room lessons take place in."""

    name = Varchar(length=30, unique=True)
    note = Varchar(length=150, default="")


class BellSchedule(Table, tablename="bell_schedule"):
    """«Расписание звонков» of a year: the normal one, a shortened day, Saturday's… ``weekdays``
    are the weekdays it is for ("12345": Monday–Friday; each weekday has at most one schedule);
    a schedule for single dates has none (see ``DaySetting``)."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    name = Varchar(length=60)
    weekdays = Varchar(length=7, default="")
    created_at = Timestamptz()


class Bell(Table, tablename="bell_time"):
    """One lesson of a bell schedule: its number in the day (0 for «нулевой урок») and its
    start and end as minutes after midnight (08:30 → 510)."""

    schedule = ForeignKey(BellSchedule, on_delete=CASCADE, index=True)
    number = Integer()
    starts_at = Integer()
    ends_at = Integer()


class DaySetting(Table, tablename="day_setting"):
    """A date that differs: other bells (a shortened day), or a moved working day that follows
    the timetable of another weekday («суббота работает по расписанию понедельника»)."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    on_date = Date(unique=True)
    schedule = ForeignKey(BellSchedule, on_delete=RESTRICT, null=True, default=None)
    as_weekday = Integer(null=True, default=None)  # 1 = Monday … 6 = Saturday
    note = Varchar(length=150, default="")


class Timetable(Table, tablename="timetable"):
    """A version of the school's weekly timetable, in force from ``starts_on`` until
    ``ends_on`` (open: until the end of the year). Starting a new one from a date ends the old
    one the day before; the old one stays as history. ``cycle`` is 1 (every week the same) or 2
    (weeks A and B); week A is the week holding ``anchor``. With ``skip_holiday_weeks`` a week
    without school days does not count, so the alternation goes on after the holidays."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    name = Varchar(length=100)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    cycle = Integer(default=1)
    anchor = Date(null=True, default=None)
    skip_holiday_weeks = Boolean(default=False)
    created_at = Timestamptz()


class Slot(Table, tablename="timetable_slot"):
    """A line of a timetable version: on ``weekday`` (1–6) at lesson ``number``, in ``week`` 0
    (every week), 1 (week A) or 2 (week B), ``subject`` with ``teacher`` in ``room`` for a class
    (``school_class``), a group (``study_group``; a subgroup also names its class) or one
    student on home schooling (``student``)."""

    timetable = ForeignKey(Timetable, on_delete=RESTRICT, index=True)
    weekday = Integer()
    number = Integer()
    week = Integer(default=0)
    school_class = ForeignKey(SchoolClass, on_delete=RESTRICT, null=True, default=None, index=True)
    study_group = ForeignKey(StudyGroup, on_delete=RESTRICT, null=True, default=None, index=True)
    student = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None, index=True)
    subject = ForeignKey(Subject, on_delete=RESTRICT)
    teacher = ForeignKey(Person, on_delete=RESTRICT, index=True)
    room = ForeignKey(Room, on_delete=RESTRICT, null=True, default=None)


class Lesson(Table, tablename="lesson"):
    """«Урок»: one dated lesson, made from a slot (``slot``) or added for a date (``extra``).
    ``teacher`` is who the timetable names; ``taught_by`` who actually teaches it (another
    teacher: «замена»; with ``combined``: «совмещение», one teacher for two groups at once).
    A change for the date keeps what was planned: ``cancelled``, ``room_changed``,
    ``moved_from``/``moved_from_number`` (a moved lesson). ``revision`` grows with each change
    (calendar feeds update the same event). ``has_records``: the journal holds grades,
    attendance or a topic for it, so timetable edits leave it alone."""

    on_date = Date(index=True)
    number = Integer()
    school_class = ForeignKey(SchoolClass, on_delete=RESTRICT, null=True, default=None, index=True)
    study_group = ForeignKey(StudyGroup, on_delete=RESTRICT, null=True, default=None, index=True)
    student = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None, index=True)
    subject = ForeignKey(Subject, on_delete=RESTRICT)
    teacher = ForeignKey(Person, on_delete=RESTRICT, index=True)
    taught_by = ForeignKey(Person, on_delete=RESTRICT, index=True)
    room = ForeignKey(Room, on_delete=RESTRICT, null=True, default=None)
    slot = ForeignKey(Slot, on_delete=RESTRICT, null=True, default=None, index=True)
    cancelled = Boolean(default=False)
    combined = Boolean(default=False)
    room_changed = Boolean(default=False)
    extra = Boolean(default=False)
    moved_from = Date(null=True, default=None)
    moved_from_number = Integer(null=True, default=None)
    change_note = Varchar(length=300, default="")
    changed_at = Timestamptz(null=True, default=None)
    revision = Integer(default=0)
    has_records = Boolean(default=False)


class Absence(Table, tablename="teacher_absence"):
    """A teacher's absence («отсутствие учителя»: illness, course, business trip) for dates;
    their lessons then need a substitute, a combining or a cancellation."""

    teacher = ForeignKey(Person, on_delete=RESTRICT, index=True)
    starts_on = Date()
    ends_on = Date()
    reason = Varchar(length=150, default="")
    created_at = Timestamptz()


class HomeSchooling(Table, tablename="home_schooling"):
    """«Надомное обучение» (``kind`` "home") or «семейное образование» ("family") of a student
    by an order: for its dates the student has an individual timetable (slots with
    ``student``) and is left out of the class journal for the subjects listed in
    ``HomeSchoolingSubject`` (none listed: every subject)."""

    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    kind = Varchar(length=8)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    order_ref = Varchar(length=100)
    note = Varchar(length=300, default="")
    created_at = Timestamptz()


class HomeSchoolingSubject(Table, tablename="home_schooling_subject"):
    home_schooling = ForeignKey(HomeSchooling, on_delete=CASCADE, index=True)
    subject = ForeignKey(Subject, on_delete=RESTRICT)


class CalendarFeed(Table, tablename="calendar_feed"):
    """A private iCalendar address of one person's timetable (a teacher's or a student's), made
    by ``made_by`` (the person, a parent or staff); only the SHA-256 of its token is kept.
    Revoking it makes the address answer 404 for good."""

    person = ForeignKey(Person, on_delete=RESTRICT, index=True)
    made_by = ForeignKey(Person, on_delete=RESTRICT, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)

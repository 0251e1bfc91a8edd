"""The class journal: what happened at each lesson (topic, material, homework, attendance,
grades with their kinds of work and comments), period and year finals, the school's grading
systems and journal rules, closed periods, corrections awaiting approval and thematic plans.

Every row that belongs to a lesson references ``lesson.id`` (the timetable's dated lesson);
writing one sets ``lesson.has_records`` in the same transaction, so the timetable never moves
or deletes a lesson that holds records. Nothing is deleted: a removed grade keeps its row with
``removed_at``; every change is an audited action whose audit row names the cell
(``object_type`` "cell", ``object_id`` "<lesson>:<student>") — the cell's history."""

from decimal import Decimal

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from service.accounts.tables import Person
from service.school.tables import AcademicYear, SchoolClass, StudyGroup, StudyPeriod, Subject
from service.timetable.tables import Lesson

RESTRICT = OnDelete.restrict
CASCADE = OnDelete.cascade


# --- the school's rules ---------------------------------------------------------------------


class GradingSystem(Table, tablename="grading_system"):
    """«Система оценивания». ``kind`` "scale": whole numbers ``low``…``high`` (5-point 1–5,
    10-point, 100-point), passing from ``pass_from``; "marks": the named marks listed in
    ``GradingMark`` (зачёт/незачёт, or any the administration defines); "none": no grades, the
    journal keeps attendance only (clubs, extended-day groups)."""

    code = Varchar(length=20, unique=True)
    name = Varchar(length=100)
    kind = Varchar(length=8)  # "scale" | "marks" | "none"
    low = Integer(default=0)
    high = Integer(default=0)
    pass_from = Integer(default=0)
    builtin = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz()


class GradingMark(Table, tablename="grading_mark"):
    """A named mark of a "marks" system: what is typed and shown (``text``: «зач»), its full
    name, whether it passes, and the number it counts as in averages (none: it is not averaged)."""

    system = ForeignKey(GradingSystem, on_delete=CASCADE, index=True)
    text = Varchar(length=8)
    name = Varchar(length=40)
    passing = Boolean(default=True)
    value = Numeric(digits=(6, 2), null=True, default=None)
    position = Integer(default=0)


class GradeConversion(Table, tablename="grade_conversion"):
    """A conversion rule: a value of ``source`` from ``low`` to ``high`` (inclusive) counts as
    ``mark`` of ``target`` (100-point 85–100 → «5»)."""

    source = ForeignKey(GradingSystem, on_delete=CASCADE, index=True)
    target = ForeignKey(GradingSystem, on_delete=RESTRICT)
    low = Numeric(digits=(6, 2))
    high = Numeric(digits=(6, 2))
    mark = Varchar(length=8)


class GradingRule(Table, tablename="grading_rule"):
    """Which system a journal uses: for grades ``grade_from``…``grade_to`` and a subject (none:
    every subject). The most specific rule wins: a subject's over every subject, a narrower grade
    range over a wider one. Study groups of kinds in ``group_kinds`` (space-separated, e.g.
    "club gpd") follow it whatever their subject."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    system = ForeignKey(GradingSystem, on_delete=RESTRICT)
    subject = ForeignKey(Subject, on_delete=RESTRICT, null=True, default=None)
    grade_from = Integer(default=1)
    grade_to = Integer(default=11)
    group_kinds = Varchar(length=100, default="")


class WorkKind(Table, tablename="work_kind"):
    """«Вид работы» with its weight in the weighted average (ответ на уроке 1, контрольная 3)."""

    name = Varchar(length=60, unique=True)
    short = Varchar(length=8)
    weight = Numeric(digits=(4, 2))
    position = Integer(default=0)
    active = Boolean(default=True)


class JournalSetting(Table, tablename="journal_setting"):
    """The school's journal rules for a year (one row per year).

    ``edit_days``: a lesson's entries are freely editable for that many days after it; later, or
    in a closed period, a change needs a reason and, with ``approval_required``, a deputy head's
    approval. ``forecast_days``/``finals_days``: how many days before a period ends the forecast
    and the finals become visible to families (004: at least 14 and 2). ``grades_due_days``:
    grades are entered within that many days of the lesson; ``homework_due_hours``: homework is
    written that many hours before the next lesson (сроки внесения). ``plans_due``: the date
    thematic plans are due. ``round_from``: the fractional part from which the average rounds up
    when a final is suggested (0.5: 3.5 → 4; 0.6: 3.5 → 3). ``file_max_kb``: homework files."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, unique=True)
    edit_days = Integer(default=7)
    approval_required = Boolean(default=False)
    forecast_days = Integer(default=14)
    finals_days = Integer(default=2)
    grades_due_days = Integer(default=3)
    homework_due_hours = Integer(default=12)
    plans_due = Date()
    round_from = Numeric(digits=(3, 2), default=Decimal("0.5"))
    file_max_kb = Integer(default=10240)
    updated_at = Timestamptz()


# --- thematic plans -------------------------------------------------------------------------


class ThematicPlan(Table, tablename="thematic_plan"):
    """«КТП»: the calendar-thematic plan of a subject for a class or a group in a year, as
    imported from a file (the latest import replaces the earlier one: ``replaced_at``)."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    subject = ForeignKey(Subject, on_delete=RESTRICT)
    school_class = ForeignKey(SchoolClass, on_delete=RESTRICT, null=True, default=None, index=True)
    study_group = ForeignKey(StudyGroup, on_delete=RESTRICT, null=True, default=None, index=True)
    file_name = Varchar(length=200, default="")
    total_hours = Integer(default=0)
    imported_at = Timestamptz()
    imported_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    replaced_at = Timestamptz(null=True, default=None)


class PlanItem(Table, tablename="plan_item"):
    """A line of a plan: its number, topic, hours and (optionally) the planned date."""

    plan = ForeignKey(ThematicPlan, on_delete=RESTRICT, index=True)
    number = Integer()
    topic = Varchar(length=500)
    hours = Integer(default=1)
    planned_on = Date(null=True, default=None)


# --- what happened at a lesson --------------------------------------------------------------


class LessonEntry(Table, tablename="lesson_entry"):
    """The lesson log line («страница учёта проведённых занятий»): topic (typed or the thematic
    plan's item), material covered, homework for everyone, the teacher's comment, and the kind
    of work new grades of this lesson get (e.g. the whole class wrote a test), and when the
    teacher took the lesson's attendance (everyone present leaves no attendance row)."""

    lesson = ForeignKey(Lesson, on_delete=RESTRICT, unique=True)
    topic = Text(default="")
    plan_item = ForeignKey(PlanItem, on_delete=RESTRICT, null=True, default=None, index=True)
    material = Text(default="")
    homework = Text(default="")
    comment = Text(default="")
    work_kind = ForeignKey(WorkKind, on_delete=RESTRICT, null=True, default=None)
    attendance_at = Timestamptz(null=True, default=None)  # when the lesson's attendance was taken
    updated_at = Timestamptz()
    updated_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    version = Integer(default=1)


class IndividualHomework(Table, tablename="homework_individual"):
    """Homework for one student of a lesson (in addition to, or instead of, the class's)."""

    lesson = ForeignKey(Lesson, on_delete=RESTRICT, index=True)
    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    text = Text(default="")
    updated_at = Timestamptz()
    removed_at = Timestamptz(null=True, default=None)


class HomeworkFile(Table, tablename="homework_file"):
    """A file attached to a lesson's homework (``student`` none: for everyone). Stored on disk
    under ``EZH_VAR_DIR/files/`` by its SHA-256; ``name`` is the name it was uploaded under."""

    lesson = ForeignKey(Lesson, on_delete=RESTRICT, index=True)
    student = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    name = Varchar(length=200)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    uploaded_at = Timestamptz()
    uploaded_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    removed_at = Timestamptz(null=True, default=None)


class Attendance(Table, tablename="attendance"):
    """A student missing (part of) a lesson: ``kind`` "absent" (н, reason not yet known),
    "ill" (б, по болезни), "excused" (у, уважительная), "unexcused" (п, неуважительная),
    "late" (оп, опоздание, ``minutes`` late). No row: present."""

    lesson = ForeignKey(Lesson, on_delete=RESTRICT)
    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    kind = Varchar(length=10)
    minutes = Integer(null=True, default=None)
    note = Varchar(length=300, default="")
    updated_at = Timestamptz()
    updated_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)


class AbsenceNote(Table, tablename="absence_note"):
    """A note explaining a student's absence for whole days (a doctor's certificate, a parent's
    note): the class teacher records it once and every absence of those days takes its reason."""

    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    starts_on = Date()
    ends_on = Date()
    kind = Varchar(length=10)  # "ill" | "excused"
    note = Varchar(length=300, default="")
    created_at = Timestamptz()
    created_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    removed_at = Timestamptz(null=True, default=None)


class Grade(Table, tablename="grade"):
    """A current grade («текущая отметка») of a student at a lesson: ``mark`` as typed in the
    lesson's grading system («5», «зач», «87»), ``value`` the number it counts as (none: not
    averaged), ``weight`` of its kind of work when it was given (the average never changes
    behind a teacher's back), ``position`` its place in the cell, ``comment`` on the work
    (R-GRADE-3). Removing keeps the row (``removed_at``)."""

    lesson = ForeignKey(Lesson, on_delete=RESTRICT)
    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    system = ForeignKey(GradingSystem, on_delete=RESTRICT)
    work_kind = ForeignKey(WorkKind, on_delete=RESTRICT)
    mark = Varchar(length=8)
    value = Numeric(digits=(6, 2), null=True, default=None)
    weight = Numeric(digits=(4, 2))
    position = Integer(default=0)
    comment = Text(default="")
    created_at = Timestamptz()
    created_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    updated_at = Timestamptz()
    removed_at = Timestamptz(null=True, default=None)


class FinalGrade(Table, tablename="final_grade"):
    """A final result of a student in a subject of a journal (a class or a group): ``kind``
    "period" (of ``period``), "year", "exam", "project", "practice". ``mark`` is a mark of
    ``system`` or «н/а» (не аттестован) or «осв.» (освобождён); ``suggested`` what the rule
    proposed from the weighted average, ``average`` that average. Confirmed by a teacher."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    student = ForeignKey(Person, on_delete=RESTRICT, index=True)
    subject = ForeignKey(Subject, on_delete=RESTRICT)
    school_class = ForeignKey(SchoolClass, on_delete=RESTRICT, null=True, default=None, index=True)
    study_group = ForeignKey(StudyGroup, on_delete=RESTRICT, null=True, default=None, index=True)
    kind = Varchar(length=10)
    period = ForeignKey(StudyPeriod, on_delete=RESTRICT, null=True, default=None)
    system = ForeignKey(GradingSystem, on_delete=RESTRICT)
    mark = Varchar(length=8)
    value = Numeric(digits=(6, 2), null=True, default=None)
    suggested = Varchar(length=8, default="")
    average = Numeric(digits=(6, 2), null=True, default=None)
    note = Varchar(length=300, default="")
    confirmed_at = Timestamptz()
    confirmed_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    version = Integer(default=1)


class PeriodClosing(Table, tablename="period_closing"):
    """A study period closed by the administration («четверть закрыта»): its grades and finals
    then change only as corrections. Reopening fills ``reopened_at``; closing again adds a row."""

    period = ForeignKey(StudyPeriod, on_delete=RESTRICT, index=True)
    closed_at = Timestamptz()
    closed_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    reopened_at = Timestamptz(null=True, default=None)
    reopened_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    reason = Varchar(length=1000, default="")


class Correction(Table, tablename="correction"):
    """A change of a locked entry waiting for a deputy head («исправление»): what (``target``:
    "cell", "entry", "final"), where (``lesson``/``student`` or ``final``), the value before and
    the value asked for (as the cell or field shows it; ``payload`` the exact request as JSON),
    the teacher's reason; ``status`` "pending", "approved" (applied) or "rejected"."""

    target = Varchar(length=10)
    lesson = ForeignKey(Lesson, on_delete=RESTRICT, null=True, default=None, index=True)
    student = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    final = ForeignKey(FinalGrade, on_delete=RESTRICT, null=True, default=None)
    field = Varchar(length=20, default="")
    old_text = Text(default="")
    new_text = Text(default="")
    payload = Text(default="")
    reason = Varchar(length=1000)
    status = Varchar(length=10, default="pending", index=True)
    requested_at = Timestamptz()
    requested_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    decision_note = Varchar(length=1000, default="")

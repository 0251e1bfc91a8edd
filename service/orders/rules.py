"""Pure rules of the order book: dated membership intervals and the year-end promotion plan.
No I/O; tested with Hypothesis (tests/orders/test_rules.py).

A membership (a class enrolment, a group membership) is an interval of days, ``starts_on``
inclusive, ``ends_on`` inclusive or open (None). Nothing is deleted: an interval an order
created is undone by closing it on the day before it starts («void»), which no date is ever in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

DAY = timedelta(days=1)
FINAL_GRADE = 11  # «11 класс»: its pupils graduate
BASIC_GRADE = 9   # «9 класс»: those who leave after the basic school graduate too


@dataclass(frozen=True)
class Interval:
    starts_on: date
    ends_on: date | None = None

    @property
    def void(self) -> bool:
        """No day is in it (an undone membership)."""
        return self.ends_on is not None and self.ends_on < self.starts_on

    def covers(self, day: date) -> bool:
        """The membership is in force on ``day`` (same rule as school.queries.in_force)."""
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether two memberships share a day; a void one shares none."""
    if a.void or b.void:
        return False
    a_before_b = a.ends_on is not None and a.ends_on < b.starts_on
    b_before_a = b.ends_on is not None and b.ends_on < a.starts_on
    return not (a_before_b or b_before_a)


def closed_before(interval: Interval, day: date) -> Interval:
    """The membership ended so that ``day`` is the first day outside it (a transfer or a
    withdrawal «с этой даты»). Only an open membership that started before ``day`` is closed
    this way: the caller refuses anything else."""
    if interval.ends_on is not None or not interval.starts_on < day:
        raise ValueError("only an open membership that started before the day can be closed")
    return Interval(interval.starts_on, day - DAY)


def voided(interval: Interval) -> Interval:
    """The membership undone: closed on the day before it starts, so no day is in it."""
    return Interval(interval.starts_on, interval.starts_on - DAY)


def first_overlap(candidate: Interval, others: Iterable[tuple[object, Interval]]) -> object | None:
    """The key of the first interval among ``others`` that shares a day with ``candidate``."""
    for key, other in others:
        if overlaps(candidate, other):
            return key
    return None


def days_in(intervals: Iterable[Interval], first: date, last: date) -> set[date]:
    """Every day between ``first`` and ``last`` covered by any of ``intervals`` (for tests and
    checks over a short span)."""
    found = set()
    spans = [i for i in intervals if not i.void]
    day = first
    while day <= last:
        if any(i.covers(day) for i in spans):
            found.add(day)
        day += DAY
    return found


def within(day: date, first: date, last: date) -> bool:
    return first <= day <= last


# --- the year-end rollover --------------------------------------------------------------------


@dataclass(frozen=True)
class OldClass:
    id: int
    grade: int
    letter: str
    class_teacher: int | None
    week_days: int
    pupils: tuple[int, ...]


@dataclass(frozen=True)
class NewClass:
    """A class of the new year the plan needs: an existing one (``id``) or one to create."""

    grade: int
    letter: str
    class_teacher: int | None
    week_days: int
    id: int | None = None

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"


@dataclass(frozen=True)
class Move:
    student: int
    from_class: int
    to: tuple[int, str] | None  # (grade, letter) of the new year's class; None: graduates
    kind: str  # "promote" | "repeat" | "graduate"


@dataclass(frozen=True)
class Plan:
    new_classes: tuple[NewClass, ...]  # every class of the new year the moves go to
    moves: tuple[Move, ...]

    def of_kind(self, kind: str) -> list[Move]:
        return [m for m in self.moves if m.kind == kind]


def promotion_plan(classes: Iterable[OldClass], leaving: Iterable[int] = (),
                   held_back: Iterable[int] = (),
                   existing: Iterable[NewClass] = ()) -> Plan:
    """«Перевод на следующий год»: class G+letter becomes (G+1)+letter with its class teacher;
    pupils of grade 11, and those of grade 9 named in ``leaving``, graduate; those named in
    ``held_back`` («оставлен на повторное обучение») stay in grade G with the same letter.
    ``existing`` are the new year's classes already made (reused by grade and letter)."""
    leaving, held_back = set(leaving), set(held_back)
    targets: dict[tuple[int, str], NewClass] = {(c.grade, c.letter): c for c in existing}
    moves: list[Move] = []
    ordered = sorted(classes, key=lambda c: (c.grade, c.letter))
    # Promoted classes first: a class kept for held-back pupils takes its teacher from the
    # class promoted into it, not from the class they stayed behind in.
    for c in ordered:
        if c.grade < FINAL_GRADE:
            key = (c.grade + 1, c.letter)
            targets.setdefault(key, NewClass(c.grade + 1, c.letter, c.class_teacher, c.week_days))
    for c in ordered:
        for student in sorted(c.pupils):
            if student in held_back:
                key = (c.grade, c.letter)
                targets.setdefault(key, NewClass(c.grade, c.letter, None, c.week_days))
                moves.append(Move(student, c.id, key, "repeat"))
            elif c.grade >= FINAL_GRADE or (c.grade == BASIC_GRADE and student in leaving):
                moves.append(Move(student, c.id, None, "graduate"))
            else:
                moves.append(Move(student, c.id, (c.grade + 1, c.letter), "promote"))
    new_classes = tuple(sorted(targets.values(), key=lambda n: (n.grade, n.letter)))
    return Plan(new_classes, tuple(moves))

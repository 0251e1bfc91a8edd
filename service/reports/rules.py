"""Pure rules of the performance report (R-REP-2): how a final mark counts, and how a pupil's
finals of a period make them «отличник», «хорошист», «с одной 4», «с одной 3», «неуспевающий» or
«не аттестован»; успеваемость and качество знаний of a group of pupils. Written down for people
in docs/reports.md; no I/O here.

A mark counts by its grading system:
- a 5-point scale («5»…«1»): passing from the system's ``pass_from`` («3»), good from «4», top
  «5» — the only scale on which качество is defined in Russian schools;
- another scale (10- or 100-point): passing from ``pass_from``; it is counted in успеваемость,
  not in качество or the average (there is no «4» to compare with) unless the school converts it;
- named marks («зач»/«незач»): passing as the mark says; counted in успеваемость only;
- «н/а» (не аттестован): the pupil is not attested in that subject;
- «осв.» (освобождён): not counted at all."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

NOT_ATTESTED = "н/а"
EXEMPT = "осв."


@dataclass(frozen=True)
class Mark:
    """One final of a pupil in a subject: its text, and what its system says of it."""

    subject: str
    text: str
    five_point: int | None  # 1–5 on a 5-point scale, else None
    passing: bool | None  # None: «н/а» or «осв.»


def classify(text: str, kind: str, low: int, high: int, pass_from: int, mark_passing: bool | None,
             subject: str = "") -> Mark:
    """A final as the report counts it. ``kind`` and the bounds are its grading system's;
    ``mark_passing`` is the named mark's own «passing» (None for scales)."""
    t = (text or "").strip()
    if t == NOT_ATTESTED or t == EXEMPT:
        return Mark(subject, t, None, None)
    if kind == "scale":
        try:
            value = int(t)
        except ValueError:
            return Mark(subject, t, None, None)
        five = value if (low, high) == (1, 5) or (low, high) == (2, 5) else None
        return Mark(subject, t, five, value >= pass_from)
    return Mark(subject, t, None, bool(mark_passing))


@dataclass
class Pupil:
    """A pupil's finals of one period, and what they make of the pupil."""

    id: int
    name: str
    class_name: str
    marks: list[Mark] = field(default_factory=list)

    @property
    def not_attested(self) -> list[str]:
        return [m.subject for m in self.marks if m.text == NOT_ATTESTED]

    @property
    def failing(self) -> list[str]:
        return [m.subject for m in self.marks if m.passing is False]

    @property
    def counted(self) -> bool:
        """Has at least one final that counts (not only «осв.»)."""
        return any(m.passing is not None or m.text == NOT_ATTESTED for m in self.marks)

    @property
    def fives(self) -> list[Mark]:
        return [m for m in self.marks if m.five_point is not None]

    @property
    def successful(self) -> bool:
        """Успевает: attested in everything, nothing failing."""
        return self.counted and not self.not_attested and not self.failing

    @property
    def excellent(self) -> bool:
        """Отличник: успевает, and every 5-point final is «5» (at least one)."""
        f = self.fives
        return self.successful and bool(f) and all(m.five_point == 5 for m in f)

    @property
    def good(self) -> bool:
        """Хорошист or отличник: успевает, and every 5-point final is «4» or «5» (at least one)."""
        f = self.fives
        return self.successful and bool(f) and all(m.five_point >= 4 for m in f)

    def single(self, mark: int) -> str | None:
        """The subject of the pupil's only «4» (all else «5»), or only «3» (all else «4»–«5»)."""
        f = self.fives
        if not self.successful or not f:
            return None
        at = [m for m in f if m.five_point == mark]
        rest_ok = all(m.five_point > mark for m in f if m.five_point != mark)
        if mark == 4:
            rest_ok = all(m.five_point == 5 for m in f if m.five_point != 4)
        return at[0].subject if len(at) == 1 and rest_ok else None


@dataclass(frozen=True)
class Summary:
    """A group of pupils (a class, a grade level, the school) in one period."""

    pupils: int
    attested: int
    marks: dict[str, int]  # «5», «4», «3», «2», «1», and every other mark text → how many finals
    excellent: int
    good_only: int  # хорошисты (good but not excellent)
    single_four: int
    single_three: int
    failing: int
    not_attested: int
    success_pct: Decimal | None
    quality_pct: Decimal | None
    average: Decimal | None


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def summarise(pupils: list[Pupil]) -> Summary:
    """успеваемость = pupils who succeed ÷ pupils counted × 100; качество = pupils with only «4»
    and «5» (хорошисты and отличники) ÷ pupils counted × 100; the average of every 5-point final.
    A pupil with only «осв.» is not counted."""
    counted = [p for p in pupils if p.counted]
    marks: Counter[str] = Counter()
    fives: list[int] = []
    for p in counted:
        for m in p.marks:
            if m.passing is not None or m.text == NOT_ATTESTED:
                marks[m.text] += 1
            if m.five_point is not None:
                fives.append(m.five_point)
    excellent = sum(1 for p in counted if p.excellent)
    good = sum(1 for p in counted if p.good)
    average = ((Decimal(sum(fives)) / Decimal(len(fives))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
               if fives else None)
    return Summary(
        pupils=len(counted), attested=sum(1 for p in counted if not p.not_attested), marks=dict(marks),
        excellent=excellent, good_only=good - excellent,
        single_four=sum(1 for p in counted if p.single(4)), single_three=sum(1 for p in counted if p.single(3)),
        failing=sum(1 for p in counted if p.failing), not_attested=sum(1 for p in counted if p.not_attested),
        success_pct=percent(sum(1 for p in counted if p.successful), len(counted)),
        quality_pct=percent(good, len(counted)), average=average)

"""How long every report takes for the whole school (issue 11 item 11: under 5 s each on this
machine for the L school), built by the same functions the pages and `ezh report` call, on
PostgreSQL (a throwaway cluster, as in production) — and how long the biggest ones take to write
as XLSX and PDF. Results go to bench/results/reports.md.

    .venv/bin/python bench/reports.py [--size L] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.isolated import ROOT  # noqa: E402  (first: settings of its own)
from service import db as dbmod  # noqa: E402
from tests.pg import Cluster  # noqa: E402

TARGET = 5.0


async def _measure(url: str, size: str, repeat: int) -> tuple[list[tuple[str, list[float], str]], dict]:
    from service.demo import generate_demo_school
    from service.journal import access
    from service.reports import oneroster, queries, writers
    from service.reports.attendance import attendance
    from service.reports.completion import completion
    from service.reports.journal_export import journal_export
    from service.reports.monitoring import authority, monitoring
    from service.reports.performance import performance
    from service.reports.queries import Scope
    from service.reports.staffing import class_summary, substitutions
    from service.reports.summary_sheet import summary_sheet
    from service.timetable.tables import Lesson

    dbmod.use_database(url)
    await dbmod.migrate(out=open(os.devnull, "w"))  # noqa: ASYNC230 - before any clock
    result = await generate_demo_school(size, 2026)
    await Lesson.raw("ANALYZE").run()
    today = access.school_today()
    years = await queries.years()
    current = next(y for y in years if y["is_current"])
    last = next((y for y in years if not y["is_current"]), current)
    cls = (await Lesson.raw("SELECT id, name, grade FROM school_class WHERE year = {} ORDER BY grade DESC, name "
                            "LIMIT 1", last["id"]).run())[0]
    now_cls = (await Lesson.raw("SELECT id, name, grade FROM school_class WHERE year = {} AND grade = 5 "
                                "ORDER BY name LIMIT 1", current["id"]).run())[0]
    school_last, school_now = Scope("school", last), Scope("school", current)
    class_last = Scope("class", last, cls["grade"], cls["id"], cls["name"])
    class_now = Scope("class", current, now_cls["grade"], now_cls["id"], now_cls["name"])
    start, end, span = current["starts_on"], current["ends_on"], "год"
    week = f"{today.isocalendar().year}-W{today.isocalendar().week:02d}"
    cases = [
        ("Сводная ведомость (класс, прошлый год)", lambda: summary_sheet(class_last, today)),
        ("Успеваемость: вся школа, год (прошлый)", lambda: performance(school_last, None, today)),
        ("Посещаемость: вся школа, текущий год", lambda: attendance(school_now, start, end, span, today)),
        ("Выполнение программы: вся школа", lambda: completion(school_now, today)),
        ("Итоги класса (текущий год)", lambda: class_summary(class_now, None, today)),
        ("Замены: текущий год", lambda: substitutions(current, start, end, span, today)),
        ("Заполнение и активность: текущий год", lambda: monitoring(current, start, end, span, today)),
        ("Еженедельная статистика (неделя)", lambda: authority(week, today)),
        ("Журнал класса: текущий год", lambda: journal_export(class_now, start, end, span, today)),
    ]
    out = []
    built = {}
    for name, make in cases:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            report = await make()
            times.append(time.perf_counter() - t0)
        built[name] = report
        rows = sum(len(list(s.rows)) if isinstance(s.rows, list) else 0 for s in report.sections)
        out.append((name, times, f"{rows} строк"))
        print(f"{name:45} median {statistics.median(times):6.3f} s", flush=True)
    for name, fmt in (("Успеваемость: вся школа, год (прошлый)", "xlsx"),
                      ("Успеваемость: вся школа, год (прошлый)", "pdf"),
                      ("Сводная ведомость (класс, прошлый год)", "pdf"),
                      ("Журнал класса: текущий год", "xlsx")):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            body = writers.write(built[name], fmt)
            times.append(time.perf_counter() - t0)
        out.append((f"{name} → {fmt.upper()}", times, f"{len(body) // 1024} КБ"))
        print(f"{name + ' → ' + fmt:45} median {statistics.median(times):6.3f} s", flush=True)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        body = await oneroster.export(last, "Школа", today)
        times.append(time.perf_counter() - t0)
    out.append(("OneRoster 1.2: прошлый год, ZIP", times, f"{len(body) // 1024} КБ"))
    return out, result.counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="L")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/reports.md")
    args = parser.parse_args()
    cluster = Cluster()
    try:
        cluster.start()
        cluster.psql("CREATE DATABASE bench_reports")
        results, counts = asyncio.run(_measure(cluster.url("bench_reports"), args.size, args.repeat))
    finally:
        cluster.stop()
    lines = [
        "# Reports for the whole school",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `bench/reports.py` on the {args.size} demo school "
        f"({counts.get('classes')} classes, {counts.get('students')} pupils) in PostgreSQL "
        f"{cluster.bindir.parent.name} (throwaway cluster, fsync off), {args.repeat} runs each, "
        f"{os.cpu_count()} CPU, {platform.python_implementation()} {platform.python_version()}. "
        f"Day of the school: {date.today():%d.%m.%Y}.",
        "",
        f"Target (issue 11 item 11): every report for the whole school under {TARGET:.0f} s. A report is "
        "the builder the page and `ezh report` call (its queries and arithmetic); the writers are timed "
        "apart for the biggest ones.",
        "",
        "| report | seconds (median) | runs | size | target |",
        "|---|---:|---|---|---|",
    ]
    for name, times, size in results:
        median = statistics.median(times)
        lines.append(f"| {name} | {median:.3f} | {', '.join(f'{t:.3f}' for t in times)} | {size} | "
                     f"{'met' if median < TARGET else 'NOT MET'} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    return 0 if all(statistics.median(t) < TARGET for _, t, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())

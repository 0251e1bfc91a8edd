"""The bare reference of `bench/reference.py`: the experiment that `../shared/perf-notes.md`
describes, rebuilt so that it runs on whatever machine the benches run on. Not product code and
not ezh: Litestar + asyncpg + one Jinja page shell, no sessions, no rights, no forms layer, no
middleware — what a journal grid and a grade save cost with nothing else around them.

Three routes, served by uvicorn (uvloop + httptools) like the service:
- ``GET /hello``: plain text, the framework ceiling;
- ``GET /grid/{klass}/{subject}``: the class's pupils × the subject's lessons, five queries,
  every cell's HTML built in Python, Jinja only for the page around the table;
- ``POST /save`` (form: lesson, student, value): the grade written and an audit row appended to
  a hash chain inside the same transaction, under an advisory lock.

The database comes from the environment (``REFERENCE_DSN``); `bench/reference.py` creates and
fills it.
"""

from __future__ import annotations

import hashlib
import json
import os
from html import escape

import asyncpg
from jinja2 import Environment
from litestar import Litestar, Request, get, post
from litestar.response import Response
from markupsafe import Markup

SHELL = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>{{ klass }} — {{ subject }}</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><header><nav><a href="/">Журнал</a> · <a href="/lessons">Мои уроки</a></nav></header>
<main><h1>{{ klass }}, {{ subject }}</h1>{{ table }}</main></body></html>""")

_pool: asyncpg.Pool | None = None


async def _open() -> None:
    global _pool
    _pool = await asyncpg.create_pool(os.environ["REFERENCE_DSN"], min_size=10, max_size=10)


async def _close() -> None:
    if _pool is not None:
        await _pool.close()


@get("/hello", media_type="text/plain")
async def hello() -> str:
    return "hello"


def _table(students, lessons, grades, absences) -> str:
    cells: dict[tuple[int, int], list[str]] = {}
    for lesson, student, value, weight in grades:
        cells.setdefault((student, lesson), []).append(
            f'<b class="w{weight}">{value}</b>')
    for lesson, student in absences:
        cells.setdefault((student, lesson), []).insert(0, '<i>н</i>')
    head = "".join(f'<th data-lesson="{lid}">{day:%d.%m}<br><small>{escape(topic)}</small></th>'
                   for lid, day, topic in lessons)
    rows = []
    for number, (sid, name) in enumerate(students, 1):
        tds = "".join(f'<td data-l="{lid}">{"".join(cells.get((sid, lid), ()))}</td>'
                      for lid, _day, _topic in lessons)
        rows.append(f'<tr data-s="{sid}"><th>{number}. {escape(name)}</th>{tds}</tr>')
    return f'<table class="grid"><thead><tr><th>Ученик</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


@get("/grid/{klass:int}/{subject:int}", media_type="text/html")
async def grid(klass: int, subject: int) -> Response:
    async with _pool.acquire() as con:
        name = await con.fetchval("SELECT name FROM klass WHERE id = $1", klass)
        title = await con.fetchval("SELECT name FROM subject WHERE id = $1", subject)
        students = await con.fetch("SELECT id, name FROM student WHERE klass_id = $1 ORDER BY name", klass)
        lessons = await con.fetch("SELECT id, day, topic FROM lesson WHERE klass_id = $1 AND subject_id = $2 "
                                  "ORDER BY day, id", klass, subject)
        marks = await con.fetch("SELECT g.lesson_id, g.student_id, g.value, g.weight FROM grade g "
                                "JOIN lesson l ON l.id = g.lesson_id WHERE l.klass_id = $1 AND l.subject_id = $2",
                                klass, subject)
    if name is None or title is None:
        return Response("not found", status_code=404, media_type="text/plain")
    grades = [(r[0], r[1], r[2], r[3]) for r in marks if r[2] is not None]
    absences = [(r[0], r[1]) for r in marks if r[2] is None]
    table = _table([(r[0], r[1]) for r in students], [(r[0], r[1], r[2]) for r in lessons], grades, absences)
    return Response(SHELL.render(klass=name, subject=title, table=Markup(table)), media_type="text/html")


@post("/save", media_type="application/json")
async def save(request: Request) -> Response:
    form = await request.form()
    try:
        lesson, student, value = int(form["lesson"]), int(form["student"]), int(form["value"])
    except (KeyError, ValueError):
        return Response({"error": "bad form"}, status_code=400)
    if not 1 <= value <= 5:
        return Response({"error": "value"}, status_code=400)
    async with _pool.acquire() as con, con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock(1)")
        old = await con.fetchval(
            "INSERT INTO grade (lesson_id, student_id, value, weight) VALUES ($1, $2, $3, 1) "
            "ON CONFLICT (lesson_id, student_id) DO UPDATE SET value = EXCLUDED.value "
            "RETURNING (SELECT value FROM grade WHERE lesson_id = $1 AND student_id = $2)",
            lesson, student, value)
        head = await con.fetchrow("SELECT seq, hash FROM chain_head WHERE id = 1")
        payload = json.dumps({"action": "grade.save", "lesson": lesson, "student": student,
                              "old": old, "new": value}, sort_keys=True, separators=(",", ":"),
                             ensure_ascii=False).encode()
        digest = hashlib.sha256(head["hash"] + payload).digest()
        await con.execute("INSERT INTO audit (seq, payload, prev, hash) VALUES ($1, $2, $3, $4)",
                          head["seq"] + 1, payload, head["hash"], digest)
        await con.execute("UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1", head["seq"] + 1, digest)
    return Response({"state": "saved"}, media_type="application/json")


app = Litestar([hello, grid, save], on_startup=[_open], on_shutdown=[_close])

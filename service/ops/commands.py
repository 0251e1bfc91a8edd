"""`ezh maintenance run|status|announce` and `ezh ops probe`: the glue between the command
line (service/cli.py names these) and operations. Imports stay inside the functions: `ezh`
starts fast for every other command."""

from __future__ import annotations

import asyncio
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

EXIT_PROBLEM, EXIT_SETUP = 1, 2


def _fail(message: str, code: int = EXIT_SETUP) -> int:
    print(f"ezh: {message}", file=sys.stderr)
    return code


def cmd_maintenance(args, settings) -> int:
    if args.maintenance_command == "run":
        return _run(args, settings)
    if args.maintenance_command == "status":
        return asyncio.run(_status(settings))
    return asyncio.run(_announce(args, settings))


def _run(args, settings) -> int:
    from service.ops import rules
    from service.ops.maintenance import AlreadyRunning, default_steps, run_maintenance

    tz = settings.tz
    now = datetime.now(tz)
    start = rules.clock_time(settings.maintenance.window_start)
    end = rules.clock_time(settings.maintenance.window_end)
    deadline = rules.window_deadline(now, start, end)
    if deadline is None:
        if not args.force:
            return _fail(f"сейчас {now:%H:%M}: тяжёлые работы идут только в окне "
                         f"{settings.maintenance.window_start}–{settings.maintenance.window_end} "
                         "(их запускает таймер). Запустить сейчас — ezh maintenance run --force: "
                         "изменения в журнале будут недоступны, пока работы идут. Ничего не "
                         "изменено.")
        # As long as the nightly window: writes are refused for no longer than at night.
        length = (datetime.combine(now.date(), end) - datetime.combine(now.date(), start))
        deadline = now + (length if length > timedelta() else length + timedelta(days=1))

    async def go():
        from service import db

        await db.ping()
        return await run_maintenance(
            settings.paths.var_dir, settings.backup_path("state_dir"),
            default_steps(settings, deadline.astimezone(UTC), now.astimezone(UTC)),
            deadline.astimezone(UTC), out=lambda line: print(line, flush=True))

    print(f"Регламентные работы до {deadline:%H:%M}: изменения в журнале недоступны, просмотр "
          "работает.", flush=True)
    try:
        run = asyncio.run(go())
    except AlreadyRunning as exc:
        return _fail(str(exc))
    print(("Готово: " if run.ok else "ВНИМАНИЕ: ") + run.message + f" ({run.seconds:.0f} с).")
    return 0 if run.ok else EXIT_PROBLEM


async def _status(settings) -> int:
    from backups.state import last_run
    from service import db
    from service.ops.maintenance import STATUS_RU, is_running
    from service.ops.queries import planned_list
    from service.web.middleware import maintenance_until

    var_dir = settings.paths.var_dir
    tz = settings.tz
    until = maintenance_until(var_dir)
    print("Режим обслуживания: " + (f"включён до {until.astimezone(tz):%H:%M}" if until
                                    else "выключен") +
          ("; ezh maintenance run работает" if is_running(var_dir) else ""))
    run = last_run(settings.backup_path("state_dir"), "maintenance")
    if run is None:
        print("Регламентных работ ещё не было.")
    else:
        print(f"Последние работы: {run.started_at.astimezone(tz):%d.%m.%Y %H:%M} — "
              f"{'выполнены' if run.ok else 'с замечаниями'} ({run.seconds:.0f} с)")
        for step in run.details.get("steps", []):
            print(f"  {step['title']}: {STATUS_RU.get(step['status'], step['status'])}"
                  + (f" — {step['message']}" if step.get("message") else "")
                  + f" ({step.get('seconds', 0):.1f} с)")
    await db.ping()
    planned = [p for p in await planned_list(datetime.now(UTC)) if p["current"]]
    for p in planned:
        print(f"Плановые работы: {p['starts_at'].astimezone(tz):%d.%m.%Y %H:%M} — "
              f"{p['ends_at'].astimezone(tz):%d.%m.%Y %H:%M}: {p['reason']}")
    if not planned:
        print("Плановых длительных работ не назначено.")
    return 0


def _moment(text: str, tz) -> datetime:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=tz)
    except ValueError:
        raise ValueError(f"«{text}»: ожидается дата и время в виде «ГГГГ-ММ-ДД ЧЧ:ММ»") from None


async def _announce(args, settings) -> int:
    from service import db
    from service.audit.log import Actor
    from service.errors import Refused
    from service.ops.actions import do_plan_maintenance

    try:
        starts, ends = _moment(args.start, settings.tz), _moment(args.end, settings.tz)
    except ValueError as exc:
        return _fail(str(exc))
    await db.ping()
    try:
        await do_plan_maintenance(Actor.system("ezh maintenance announce"), starts, ends,
                                  args.reason)
    except Refused as exc:
        return _fail(f"{exc.message} Ничего не записано.")
    print(f"Назначено и объявлено: {starts:%d.%m.%Y %H:%M} — {ends:%d.%m.%Y %H:%M}. "
          "Все пользователи видят объявление.")
    return 0


def probe_url(settings) -> str:
    if settings.maintenance.probe_url:
        return settings.maintenance.probe_url.rstrip("/")
    host = settings.server.host
    host = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.server.port}"


def probe(base: str, timeout: float = 10.0) -> tuple[bool, str]:
    """Whether the service answers /healthz «ok» and /readyz «ready»; why not, in Russian."""
    for path, expected in (("/healthz", "ok"), ("/readyz", "ready")):
        try:
            with urllib.request.urlopen(base + path, timeout=timeout) as response:
                body = response.read(100).decode("utf-8", "replace").strip()
        except urllib.error.HTTPError as exc:
            return False, f"{path}: ответ {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return False, f"{path}: служба не отвечает ({reason})"
        if body != expected:
            return False, f"{path}: ответ «{body[:40]}»"
    return True, ""


def cmd_ops(args, settings) -> int:
    from service import db
    from service.ops.actions import record_probe

    up, problem = probe(probe_url(settings))

    async def go() -> None:
        await db.ping()
        await record_probe(up, problem)

    asyncio.run(go())
    # Quiet when all is well: a timer runs it every minute and the journal needs no noise.
    if not up:
        print(f"Служба недоступна: {problem}")
    return 0

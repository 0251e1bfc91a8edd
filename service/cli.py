"""The ``ezh`` command: one entry point for everything an administrator runs."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from service.settings import SettingsError, describe, get_settings

EXIT_PROBLEM = 1  # the command ran and found something wrong (a check, a broken chain)
EXIT_SETUP = 2    # settings, database or input prevent the command from running


def _fail(message: str, code: int = EXIT_SETUP) -> int:
    print(f"ezh: {message}", file=sys.stderr)
    return code


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ezh",
        description="ЭЖ — электронный классный журнал. Настройки: переменные EZH_* и "
                    "/etc/ezh/ezh.toml (см. ezh settings).",
    )
    sub = p.add_subparsers(dest="command", metavar="команда", required=True)

    s = sub.add_parser("serve", help="запустить веб-службу")
    s.add_argument("--host", help="адрес (по умолчанию из EZH_HOST, 127.0.0.1)")
    s.add_argument("--port", type=int, help="порт (по умолчанию из EZH_PORT, 8000)")
    s.add_argument("--workers", type=int, help="число процессов (EZH_WORKERS)")

    sub.add_parser("migrate", help="привести схему базы к текущей версии (всё или ничего)")

    d = sub.add_parser("demo-data", help="создать демонстрационную школу с вымышленными людьми")
    d.add_argument("--size", choices=["S", "M", "L"], default="S",
                   help="S — один класс, M — около 1000 учеников, L — 2500 учеников, 88 классов")
    d.add_argument("--seed", type=int, default=2026, help="зерно генератора: тот же результат при том же зерне")

    demo = sub.add_parser("demo", help="всё для пробы: миграции, демо-школа (если база пуста), запуск")
    demo.add_argument("--size", choices=["S", "M", "L"], default="M")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)

    a = sub.add_parser("create-admin", help="создать учётную запись администратора")
    a.add_argument("--login", required=True)
    a.add_argument("--last-name", default="Администратор")
    a.add_argument("--first-name", default="Школы")
    a.add_argument("--password-stdin", action="store_true", help="прочитать пароль из стандартного ввода")

    r = sub.add_parser("reset-code", help="выдать одноразовый код сброса пароля для учётной записи")
    r.add_argument("--login", required=True)

    sub.add_parser("check", help="проверить установку: база, миграции, журнал аудита, диск, часы")
    sub.add_parser("settings", help="показать все настройки, их переменные и значения по умолчанию")

    audit = sub.add_parser("audit", help="журнал аудита")
    asub = audit.add_subparsers(dest="audit_command", metavar="действие", required=True)
    v = asub.add_parser("verify", help="проверить цепочку хешей (и контрольные точки)")
    v.add_argument("--checkpoint", action="append", type=Path, default=[],
                   help="файл контрольной точки (можно несколько); по умолчанию все из каталога контрольных точек")
    v.add_argument("--public-key", type=Path, help="открытый ключ установки (по умолчанию из каталога ключей)")
    c = asub.add_parser("checkpoint", help="записать подписанную контрольную точку головы цепочки")
    c.add_argument("--out", type=Path, help="каталог (по умолчанию EZH_CHECKPOINT_DIR)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        return _fail(f"ошибка в настройках: {exc}")
    from service import db  # after the settings are known to be valid
    from service.audit.checkpoint import CheckpointError

    handler = COMMANDS[args.command]
    try:
        return handler(args, settings)
    except db.DatabaseUnavailable as exc:
        return _fail(str(exc))
    except CheckpointError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ezh settings | head`: the reader left, nothing went wrong
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - an administrator gets a sentence, not a traceback
        if settings.log.level.upper() == "DEBUG":
            raise
        return _fail(f"{args.command}: {type(exc).__name__}: {exc}. "
                     "Подробности: EZH_LOG_LEVEL=DEBUG ezh …")


def _run(coro) -> int:
    return asyncio.run(coro)


# --- commands ------------------------------------------------------------------------------


async def _ready_db(require_current: bool = True) -> None:
    from service import db

    await db.ping()
    if require_current:
        state = await db.migration_state()
        if state.unknown:
            raise db.DatabaseUnavailable(
                "база данных новее этой версии ezh (в ней есть миграции, которых программа не "
                "знает). Установите ту версию ezh, что работала с этой базой.")
        if not state.current:
            raise db.DatabaseUnavailable(
                f"схема базы не обновлена: {len(state.pending)} миграций не применено. "
                "Выполните: ezh migrate")


def cmd_serve(args, settings) -> int:
    import uvicorn

    from service.audit.checkpoint import ensure_installation_key

    _run(_ready_db())
    ensure_installation_key(settings.key_dir)
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    workers = args.workers or settings.server.workers
    print(f"ЭЖ работает: http://{host}:{port}  (остановить: Ctrl+C)", flush=True)
    uvicorn.run("service.app:create_app", factory=True, host=host, port=port, workers=workers,
                loop="uvloop", http="httptools", log_level="warning", proxy_headers=False,
                server_header=False)
    return 0


async def _migrate(settings) -> int:
    from service import db
    from service.accounts.actions import do_sync_rights
    from service.audit.checkpoint import ensure_installation_key
    from service.audit.log import Actor

    await db.ping()
    ensure_installation_key(settings.key_dir)  # first: a lost key stops everything, unchanged
    try:
        done = await db.migrate()
    except db.MigrationFailed as exc:
        print(f"ezh: {exc}", file=sys.stderr)
        return EXIT_SETUP
    print(f"Миграций применено: {len(done)}." if done else "Схема базы уже актуальна.")
    added = await do_sync_rights(Actor.system("ezh migrate"))
    if added:
        print(f"Добавлено ролей и прав: {len(added)}.")
    if settings.database.app_role:
        from service.audit.tables import AccessLog, AuditEvent

        await db.grant_service_role(settings.database.app_role,
                                    (AuditEvent._meta.tablename, AccessLog._meta.tablename))
        print(f"Права роли {settings.database.app_role} выданы (журналы — только добавление).")
    return 0


def cmd_migrate(args, settings) -> int:
    return _run(_migrate(settings))


def cmd_demo_data(args, settings) -> int:
    from service.demo import generate_demo_school, print_logins

    async def go() -> int:
        await _ready_db()
        from service.errors import Refused

        try:
            result = await generate_demo_school(args.size, args.seed)
        except Refused as exc:
            return _fail(exc.message)
        print(result.summary())
        print_logins(result)
        return 0

    return _run(go())


def cmd_demo(args, settings) -> int:
    from service.demo import generate_demo_school, has_demo_school, print_logins, stored_logins

    if not settings.database.url.startswith("sqlite:///"):
        return _fail("ezh demo — только для пробы на SQLite, а настроена база "
                     f"{settings.database.url.split(':')[0]}: демо-школа не будет записана в рабочую "
                     "базу. Для пробы запустите без /etc/ezh/ezh.toml и EZH_DATABASE_URL.")

    async def prepare() -> int:
        code = await _migrate(settings)
        if code:
            return code
        if await has_demo_school():
            print("Демонстрационная школа уже создана.")
            print_logins(await stored_logins())
        else:
            print(f"Создаю демонстрационную школу (размер {args.size})…", flush=True)
            result = await generate_demo_school(args.size, args.seed)
            print(result.summary())
            print_logins(result)
        return 0

    code = _run(prepare())
    if code:
        return code
    return cmd_serve(argparse.Namespace(host=args.host, port=args.port, workers=None), settings)


def cmd_create_admin(args, settings) -> int:
    from service.accounts.actions import do_create_person, do_create_user
    from service.audit.log import Actor
    from service.errors import Refused

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Пароль: ")
        if getpass.getpass("Пароль ещё раз: ") != password:
            return _fail("пароли не совпадают")

    login = args.login.strip().lower()

    async def go() -> int:
        await _ready_db()
        actor = Actor.system("ezh create-admin")
        try:
            from service.accounts.rules import login_problem, password_problem

            if problem := login_problem(login) or password_problem(password, login):
                raise Refused(problem)
            person = await do_create_person(actor, args.last_name, args.first_name)
            await do_create_user(actor, login, password, ["admin"], person)
        except Refused as exc:
            return _fail(exc.message)
        print(f"Администратор {login} создан.")
        return 0

    return _run(go())


def cmd_reset_code(args, settings) -> int:
    """For when nobody can sign in to the page that issues reset codes (a locked-out admin)."""
    from service.accounts.actions import do_issue_reset_code
    from service.accounts.tables import Account
    from service.audit.log import Actor

    async def go() -> int:
        await _ready_db()
        user = await Account.select(Account.id).where(Account.login == args.login.strip().lower()).first().run()
        if user is None:
            return _fail(f"учётной записи «{args.login}» нет")
        code = await do_issue_reset_code(Actor.system("ezh reset-code"), user["id"])
        hours = settings.security.reset_code_hours
        print(f"Код сброса пароля для {args.login}: {code}\n"
              f"Действует {hours} ч. Введите его на странице «Есть код сброса пароля» (/reset).")
        return 0

    return _run(go())


def cmd_check(args, settings) -> int:
    from service.checks import run_checks

    lines, ok = _run(run_checks(settings))
    for line in lines:
        print(line)
    return 0 if ok else EXIT_PROBLEM


def cmd_settings(args, settings) -> int:
    for env, key, default, help_text in describe():
        print(f"{env:28} {key:32} {help_text} [по умолчанию: {default or '—'}]")
    print(f"\nФайл настроек: {settings.config_file or 'не найден (/etc/ezh/ezh.toml или EZH_CONFIG)'}")
    return 0


def cmd_audit(args, settings) -> int:
    if args.audit_command == "verify":
        return _run(_audit_verify(args, settings))
    return _run(_audit_checkpoint(args, settings))


async def _audit_verify(args, settings) -> int:
    from service.audit.checkpoint import (
        PUBLIC_NAME,
        CheckpointError,
        latest_checkpoints,
        load_public_key,
        read_checkpoint,
    )
    from service.audit.verify import verify_chain

    await _ready_db()
    paths = args.checkpoint or latest_checkpoints(settings.checkpoint_dir)
    checkpoints = []
    if paths:
        try:
            public = load_public_key(args.public_key or settings.key_dir / PUBLIC_NAME)
            checkpoints = [read_checkpoint(p, public) for p in paths]
        except CheckpointError as exc:
            print(f"НАРУШЕНИЕ: {exc}")
            return EXIT_PROBLEM
    result = await verify_chain(checkpoints)
    if not result.ok:
        print(f"НАРУШЕНИЕ: {result.problem.message}")
        print(f"Проверено записей до нарушения: {result.count}.")
        return EXIT_PROBLEM
    print(f"Цепочка цела: {result.count} записей, хеш последней {result.last_hash[:16]}…")
    for note in result.checkpoint_notes:
        print(f"  {note}")
    if not checkpoints:
        print("  Контрольных точек нет: цепочка без них не защищена от полной перезаписи "
              "(ezh audit checkpoint).")
    return 0


async def _audit_checkpoint(args, settings) -> int:
    from datetime import UTC, datetime

    from service.audit.checkpoint import (
        Checkpoint,
        ensure_installation_key,
        fingerprint,
        write_checkpoint,
    )
    from service.audit.verify import verify_chain

    await _ready_db()
    result = await verify_chain()
    if not result.ok:
        print(f"НАРУШЕНИЕ: {result.problem.message}\nКонтрольная точка не записана: "
              "нельзя заверять повреждённую цепочку.")
        return EXIT_PROBLEM
    key = ensure_installation_key(settings.key_dir)
    cp = Checkpoint(count=result.count, last_hash=result.last_hash, at=datetime.now(UTC),
                    key_fingerprint=fingerprint(key.public_key()), school=settings.school.name)
    path = write_checkpoint(cp, key, args.out or settings.checkpoint_dir)
    print(cp.statement().decode("utf-8"), end="")
    print(f"Записано: {path} и {path.name}.sig — сохраните копию вне сервера.")
    return 0


COMMANDS = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "demo-data": cmd_demo_data,
    "demo": cmd_demo,
    "create-admin": cmd_create_admin,
    "reset-code": cmd_reset_code,
    "check": cmd_check,
    "settings": cmd_settings,
    "audit": cmd_audit,
}

if __name__ == "__main__":
    sys.exit(main())

"""The ``ezh`` command: one entry point for everything an administrator runs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import getpass
import socket
import sys
from pathlib import Path

from service.settings import SettingsError, get_settings, in_effect

EXIT_PROBLEM = 1  # the command ran and found something wrong (a check, a broken chain)
EXIT_SETUP = 2    # settings, database or input prevent the command from running


def _fail(message: str, code: int = EXIT_SETUP) -> int:
    print(f"ezh: {message}", file=sys.stderr)
    return code


# argparse's own words (usage, headings, every error), in Russian. argparse looks each one up
# through gettext when it needs it, as the module globals `_` and `ngettext`; _russian() puts
# these in their place while the `ezh` parser is built and used, then puts the originals back.
# A text missing here stays English rather than break.
_ARGPARSE_RU = {
    "usage: ": "использование: ",
    "positional arguments": "аргументы",
    "options": "параметры",
    "show this help message and exit": "показать эту справку и выйти",
    "%(prog)s: error: %(message)s\n": "%(prog)s: ошибка: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "недопустимое значение %(value)r (допустимы: %(choices)s)",
    "invalid %(type)s value: %(value)r": "недопустимое значение %(value)r",
    "the following arguments are required: %s": "не хватает обязательного: %s",
    "unrecognized arguments: %s": "неизвестные параметры: %s",
    "one of the arguments %s is required": "нужен один из параметров: %s",
    "not allowed with argument %s": "нельзя вместе с %s",
    "ambiguous option: %(option)s could match %(matches)s":
        "неоднозначный параметр %(option)s: подходят %(matches)s",
    "ignored explicit argument %r": "лишнее значение %r",
    "unexpected option string: %s": "неожиданный параметр: %s",
    "expected one argument": "нужно значение",
    "expected at most one argument": "нужно не больше одного значения",
    "expected at least one argument": "нужно хотя бы одно значение",
    "expected %s argument": "нужно значений: %s",
    "expected %s arguments": "нужно значений: %s",
}


@contextlib.contextmanager
def _russian():
    saved = argparse._, argparse.ngettext
    argparse._ = lambda text: _ARGPARSE_RU.get(text, text)
    argparse.ngettext = lambda one, many, n: argparse._(one if n == 1 else many)
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ожидается целое число, получено «{text}»") from None


def _port(text: str) -> int:
    if not 1 <= (port := _integer(text)) <= 65535:
        raise argparse.ArgumentTypeError(f"порт должен быть от 1 до 65535, получено {port}")
    return port


SIZES = ("S", "M", "L")  # `--size m` is as good as `--size M`: choices are compared upper-cased


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, understood and complained about in Russian; usage errors exit 2."""
    with _russian():
        return _parser().parse_args(argv)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ezh",
        description="ЭЖ — электронный классный журнал. Настройки: переменные EZH_* и "
                    "/etc/ezh/ezh.toml (см. ezh settings).",
    )
    sub = p.add_subparsers(dest="command", title="команды", metavar="команда", required=True)

    s = sub.add_parser("serve", help="запустить веб-службу")
    s.add_argument("--host", metavar="АДРЕС", help="адрес (по умолчанию из EZH_HOST, 127.0.0.1)")
    s.add_argument("--port", type=_port, metavar="ПОРТ",
                   help="порт (по умолчанию из EZH_PORT, 8000)")
    s.add_argument("--workers", type=_integer, metavar="ЧИСЛО",
                   help="число процессов (EZH_WORKERS)")

    sub.add_parser("migrate", help="привести схему базы к текущей версии (всё или ничего); "
                                   "выполняется от роли — владельца базы")

    d = sub.add_parser("demo-data", help="создать демонстрационную школу с вымышленными людьми "
                                         "(только в новой пустой базе)")
    d.add_argument("--size", type=str.upper, choices=SIZES, default="S",
                   help="S — один класс, M — около 1000 учеников, L — 2500 учеников, 88 классов")
    d.add_argument("--seed", type=_integer, default=2026, metavar="ЧИСЛО",
                   help="зерно генератора: тот же результат при том же зерне")
    d.add_argument("--allow-postgresql", action="store_true",
                   help="разрешить запись в PostgreSQL (стенд, нагрузочный тест); у демо-входов "
                        "общеизвестный пароль — никогда в рабочую базу")

    demo = sub.add_parser("demo", help="всё для пробы: миграции, демо-школа (если база пуста), запуск")
    demo.add_argument("--size", type=str.upper, choices=SIZES, default="M")
    demo.add_argument("--seed", type=_integer, default=2026, metavar="ЧИСЛО")
    demo.add_argument("--host", metavar="АДРЕС")
    demo.add_argument("--port", type=_port, metavar="ПОРТ")

    a = sub.add_parser("create-admin", help="создать учётную запись администратора")
    a.add_argument("--login", required=True, metavar="ЛОГИН")
    a.add_argument("--last-name", default="Администратор", metavar="ФАМИЛИЯ")
    a.add_argument("--first-name", default="Школы", metavar="ИМЯ")
    a.add_argument("--password-stdin", action="store_true", help="прочитать пароль из стандартного ввода")

    r = sub.add_parser("reset-code", help="выдать одноразовый код сброса пароля для учётной записи")
    r.add_argument("--login", required=True, metavar="ЛОГИН")

    sub.add_parser("check", help="проверить установку: база, миграции, журнал аудита, диск, часы")
    sub.add_parser("settings", help="показать действующие значения настроек и откуда они взяты")

    audit = sub.add_parser("audit", help="журнал аудита")
    asub = audit.add_subparsers(dest="audit_command", title="действия", metavar="действие",
                                required=True)
    v = asub.add_parser("verify", help="проверить цепочку хешей (и контрольные точки)")
    v.add_argument("--checkpoint", action="append", type=Path, default=[], metavar="ФАЙЛ",
                   help="файл контрольной точки (можно несколько); по умолчанию все из каталога контрольных точек")
    v.add_argument("--public-key", type=Path, metavar="ФАЙЛ",
                   help="открытый ключ установки (по умолчанию из каталога ключей)")
    c = asub.add_parser("checkpoint", help="записать подписанную контрольную точку головы цепочки")
    c.add_argument("--out", type=Path, metavar="КАТАЛОГ",
                   help="каталог (по умолчанию EZH_CHECKPOINT_DIR)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
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

    _run(_ready_db())  # no installation key here: the service never signs (docs/architecture.md)
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    workers = args.workers or settings.server.workers
    if problem := _cannot_listen(host, port):
        return _fail(problem)
    print(f"ЭЖ работает: http://{host}:{port}  (остановить: Ctrl+C)", flush=True)
    uvicorn.run("service.app:create_app", factory=True, host=host, port=port, workers=workers,
                loop="uvloop", http="httptools", log_level="warning", proxy_headers=False,
                server_header=False)
    return 0


def _cannot_listen(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, in Russian; None if it can. Asked before
    «ЭЖ работает» is printed: uvicorn would say it only afterwards, in English."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror:
        return f"адрес «{host}» не найден (EZH_HOST или --host)"
    where = f"{host}:{port}"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"адрес {where} занят другой программой (или ЭЖ уже запущен): остановите "
                        "её или выберите другой порт (EZH_PORT или --port)")
            if exc.errno == errno.EACCES:
                return (f"нет прав занять {where}: порты ниже 1024 доступны только root; выберите "
                        "порт от 1024 (EZH_PORT или --port)")
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"у этого сервера нет адреса {host} (EZH_HOST или --host)"
            return f"не удаётся занять {where}: {exc.strerror}"
    return None


async def _migrate(settings) -> int:
    from service import db
    from service.accounts.actions import do_sync_rights
    from service.audit.checkpoint import ensure_installation_key
    from service.audit.log import Actor

    await db.ping()
    ensure_installation_key(settings.key_dir)  # first: a lost key stops everything, unchanged
    try:
        done = await db.migrate()
        print(f"Миграций применено: {len(done)}." if done else "Схема базы уже актуальна.")
        added = await do_sync_rights(Actor.system("ezh migrate"))
        if added:
            print(f"Добавлено ролей и прав: {len(added)}.")
        role = settings.database.app_role
        if role:
            from service.audit.tables import AccessLog, AuditEvent

            if await db.grant_service_role(role, (AuditEvent._meta.tablename,
                                                  AccessLog._meta.tablename)):
                print(f"Права роли {role} выданы (журналы — только добавление).")
    except db.MigrationFailed as exc:
        return _fail(str(exc))
    return 0


def cmd_migrate(args, settings) -> int:
    return _run(_migrate(settings))


def cmd_demo_data(args, settings) -> int:
    from service.demo import generate_demo_school, print_logins

    if not settings.database.url.startswith("sqlite:///") and not args.allow_postgresql:
        return _fail("настроена база PostgreSQL: у демо-входов общеизвестный пароль, поэтому "
                     "демонстрационная школа пишется в PostgreSQL только с флагом "
                     "--allow-postgresql (стенд или нагрузочный тест, новая пустая база). "
                     "Ничего не изменено.")

    async def go() -> int:
        await _ready_db()
        from service.errors import Refused

        try:
            result = await generate_demo_school(args.size, args.seed)
        except Refused as exc:
            return _fail(exc.message)
        print(result.summary())
        print_logins(result, server_running=False)
        return 0

    return _run(go())


def cmd_demo(args, settings) -> int:
    from service.demo import generate_demo_school, has_demo_school, print_logins, stored_logins

    if not settings.database.url.startswith("sqlite:///"):
        return _fail("ezh demo — только для пробы на SQLite, а настроена база "
                     f"{settings.database.url.split(':')[0]}: демо-школа не будет записана в рабочую "
                     "базу. Для пробы запустите без /etc/ezh/ezh.toml и EZH_DATABASE_URL.")

    from service.errors import Refused

    async def prepare() -> int:
        code = await _migrate(settings)
        if code:
            return code
        if await has_demo_school():
            print("Демонстрационная школа уже создана.")
            print_logins(await stored_logins(), port=args.port)
        else:
            print(f"Создаю демонстрационную школу (размер {args.size})…", flush=True)
            try:
                result = await generate_demo_school(args.size, args.seed)
            except Refused as exc:  # the file already holds accounts or people of its own
                return _fail(exc.message)
            print(result.summary())
            print_logins(result, port=args.port)
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
    from service.demo import check_demo_password

    lines, ok = _run(run_checks(settings, data_checks=[check_demo_password]))
    for line in lines:
        print(line)
    return 0 if ok else EXIT_PROBLEM


def cmd_settings(args, settings) -> int:
    from service.db import describe_url

    for env, key, value, help_text in in_effect(settings):
        if isinstance(value, bool):
            shown = "да" if value else "нет"
        elif env == "EZH_DATABASE_URL":
            shown = describe_url(value)  # never the password
        else:
            shown = str(value) or "— (не задано)"
        print(f"{env} = {shown}   [{settings.source(env)}]\n    {key}: {help_text}")
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
    from service.audit.verify import checkpoint_age_warning, verify_chain
    from service.text import count

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
    print(f"Цепочка цела: {count(result.count, 'запись', 'записи', 'записей')}, "
          f"хеш последней {result.last_hash[:16]}…")
    for note in result.checkpoint_notes:
        print(f"  {note}")
    # The routine's freshness is judged on the checkpoint directory, not on files named by hand
    # (an old key's checkpoints are old by nature). A warning: the chain itself is whole.
    if not args.checkpoint and (warning := checkpoint_age_warning(
            checkpoints, settings.security.checkpoint_max_age_hours)):
        print(f"ВНИМАНИЕ: {warning}.")
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
    # One line: run by a timer every hour, it lands in the system journal.
    print(f"Контрольная точка записана: {path} (записей: {cp.count}, хеш последней "
          f"{cp.last_hash[:16]}…, подпись в {path.name}.sig); храните копии вне сервера.")
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

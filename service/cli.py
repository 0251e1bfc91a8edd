"""The ``ezh`` command: one entry point for everything an administrator runs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import getpass
import re
import socket
import sys
from datetime import date
from pathlib import Path

from service.ops.commands import cmd_maintenance, cmd_ops  # glue: service/ops/commands.py
from service.records.commands import cmd_keys, cmd_verify  # glue: service/records/commands.py
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


def _day(text: str) -> date:
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"ожидается дата ГГГГ-ММ-ДД, получено «{text}»")


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

    kinds = ("students", "parents", "staff", "subjects", "classes", "load")  # service/exchange
    im = sub.add_parser("import", help="загрузить список из файла CSV, XLSX или ODS: без --apply "
                                       "только проверка (ничего не записывается)")
    im.add_argument("kind", choices=kinds, metavar="СПИСОК",
                    help="students, parents, staff, subjects, classes или load")
    im.add_argument("file", type=Path, metavar="ФАЙЛ")
    im.add_argument("--apply", action="store_true",
                    help="записать, если в файле нет ни одной ошибки (всё или ничего)")
    im.add_argument("--column", action="append", default=[], metavar="НОМЕР=ПОЛЕ",
                    help="что означает столбец, если его название не узнано: 3=birth_date "
                         "(столбцы с 1; пустое поле — не загружать)")
    ex = sub.add_parser("export", help="выгрузить список в CSV, XLSX или ODS")
    ex.add_argument("kind", choices=kinds, metavar="СПИСОК",
                    help="students, parents, staff, subjects, classes или load")
    ex.add_argument("--format", choices=("csv", "xlsx", "ods"), default="csv", dest="fmt")
    ex.add_argument("--output", type=Path, metavar="ФАЙЛ",
                    help="куда записать (по умолчанию CSV в стандартный вывод)")

    bk = sub.add_parser("backup", help="резервные копии: создать, проверить, восстановить, "
                                       "перенести на съёмный диск")
    bsub = bk.add_subparsers(dest="backup_command", title="действия", metavar="действие",
                             required=True)
    bsub.add_parser("init", help="создать хранилище borg и файл пароля (если их нет)")
    br = bsub.add_parser("run", help="полная копия: база, настройки, ключи, контрольные точки, "
                                     "файлы; затем чистка старых копий")
    br.add_argument("--verify-data", action="store_true",
                    help="после копии полностью прочитать и проверить хранилище")
    bsub.add_parser("dump", help="лёгкая ежечасная копия одной базы данных")
    bsub.add_parser("list", help="архивы в хранилище и последние запуски")
    bre = bsub.add_parser("restore", help="восстановить архив в новую базу и новый каталог "
                                          "(живые данные — только с --replace)")
    bre.add_argument("--archive", metavar="ИМЯ", help="архив (по умолчанию последний)")
    bre.add_argument("--database", metavar="БАЗА",
                     help="новая база: имя базы PostgreSQL, адрес postgresql://… или путь к "
                          "новому файлу SQLite")
    bre.add_argument("--to", type=Path, metavar="КАТАЛОГ",
                     help="новый каталог для настроек, ключей, контрольных точек и файлов")
    bre.add_argument("--replace", action="store_true",
                     help="заменить живые данные (сначала будет сделана свежая копия; службу "
                          "остановить)")
    bsub.add_parser("drill", help="проверка восстановления: последний архив во временную базу, "
                                  "сверка, запуск службы; акт проверки")
    bex = bsub.add_parser("export", help="копия на съёмный диск (своё хранилище на диске, "
                                         "с полной проверкой)")
    bex.add_argument("--to", type=Path, required=True, metavar="КАТАЛОГ",
                     help="каталог подключённого диска, например /media/usb1")
    bk_key = bsub.add_parser("key-export", help="бумажный ключ хранилища для сейфа")
    bk_key.add_argument("--out", type=Path, metavar="ФАЙЛ",
                        help="записать страницу для печати: .pdf или .html")

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

    mt = sub.add_parser("maintenance", help="регламентные работы: ночное окно и плановые работы")
    msub = mt.add_subparsers(dest="maintenance_command", title="действия", metavar="действие",
                             required=True)
    mr = msub.add_parser("run", help="ночные работы (запускает таймер в 02:00): копия, проверка "
                                     "восстановления, VACUUM, проверка журнала аудита и архива")
    mr.add_argument("--force", action="store_true",
                    help="запустить вне ночного окна (изменения недоступны, пока работы идут)")
    msub.add_parser("status", help="режим обслуживания, последние работы, плановые работы")
    ma = msub.add_parser("announce", help="назначить длительные работы на каникулах (не меньше "
                                          "чем за 7 дней, не дольше суток) и объявить всем")
    ma.add_argument("--start", required=True, metavar="«ГГГГ-ММ-ДД ЧЧ:ММ»")
    ma.add_argument("--end", required=True, metavar="«ГГГГ-ММ-ДД ЧЧ:ММ»")
    ma.add_argument("--reason", required=True, metavar="ТЕКСТ", help="какие работы (увидят все)")
    dg = sub.add_parser("digest", help="ежедневная сводка родителям по почте (таймер ezh-digest; "
                                       "только если рассылка включена в [mail])")
    dg.add_argument("--date", type=_day, metavar="ГГГГ-ММ-ДД",
                    help="за какой день (по умолчанию сегодня по часовому поясу школы)")
    dg.add_argument("--dry-run", action="store_true",
                    help="показать, кому и что ушло бы, ничего не отправляя и не отмечая")
    rep = sub.add_parser("report", help="отчёт в файл или на экран (ezh report --help — какие есть)")
    rsub = rep.add_subparsers(dest="report", title="отчёты", metavar="отчёт", required=True)
    from service.reports.catalogue import NAMES as REPORT_NAMES
    from service.reports.writers import FORMATS as REPORT_FORMATS

    ro = rsub.add_parser("oneroster", help="учебный год в формате OneRoster 1.2 (CSV в ZIP) для других систем")
    ro.add_argument("--year", metavar="ГГГГ/ГГГГ", help="учебный год (по умолчанию текущий)")
    ro.add_argument("--output", type=Path, metavar="ФАЙЛ", required=True, help="куда записать ZIP")
    for code, what in REPORT_NAMES.items():
        rp = rsub.add_parser(code, help=what)
        if code == "authority":
            rp.add_argument("--week", metavar="ГГГГ-WНН", help="ISO-неделя, например 2026-W47 (по умолчанию текущая)")
        else:
            rp.add_argument("--year", metavar="ГГГГ/ГГГГ", help="учебный год (по умолчанию текущий)")
        if code not in ("authority", "monitoring", "substitutions"):
            rp.add_argument("--class", dest="class_name", metavar="КЛАСС",
                            required=code in ("summary-sheet", "class-summary", "journal"),
                            help="класс, например 5А")
        if code in ("performance", "attendance", "completion"):
            rp.add_argument("--grade", type=_integer, metavar="ПАРАЛЛЕЛЬ", help="все классы параллели, 1–11")
        if code in ("performance", "attendance", "monitoring", "substitutions", "class-summary", "journal"):
            rp.add_argument("--period", metavar="ПЕРИОД", help="«1 четверть», «2 полугодие»…; по умолчанию — год")
        if code in ("attendance", "monitoring", "substitutions", "journal"):
            rp.add_argument("--month", metavar="ГГГГ-ММ", help="месяц вместо периода, например 2026-11")
        rp.add_argument("--format", choices=tuple(REPORT_FORMATS), default="json" if code == "authority" else "txt",
                        help="формат файла (по умолчанию " + ("json" if code == "authority" else "txt") + ")")
        rp.add_argument("--delimiter", choices=("semicolon", "comma"), default="semicolon",
                        help="разделитель CSV: точка с запятой (Excel по-русски) или запятая")
        rp.add_argument("--output", type=Path, metavar="ФАЙЛ", help="куда записать (по умолчанию на экран)")
    from service.records.commands import add_parsers as records_parsers

    records_parsers(sub)
    ops = sub.add_parser("ops", help="учёт доступности службы")
    osub = ops.add_subparsers(dest="ops_command", title="действия", metavar="действие",
                              required=True)
    osub.add_parser("probe", help="спросить /healthz и /readyz и записать ответ (таймер, "
                                  "каждую минуту)")
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


# An idle keep-alive connection stays open longer than nginx keeps its upstream connections (60 s)
# and than a teacher thinks between two clicks: with uvicorn's 5 s, a request sent as the server
# closed the idle connection was lost (nginx does not resend a POST; the browser got a 502).
KEEP_ALIVE_SECONDS = 75


def cmd_serve(args, settings) -> int:
    import uvicorn

    _run(_ready_db())  # no installation key here: the service never signs (docs/architecture.md)
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    workers = args.workers or settings.server.workers
    if problem := _cannot_listen(host, port):
        return _fail(problem)
    print(f"ЭЖ работает: http://{host}:{port}  (остановить: Ctrl+C)", flush=True)
    uvicorn.run("service.app:serve_app", factory=True, host=host, port=port, workers=workers,
                loop="uvloop", http="httptools", log_level="warning", proxy_headers=False,
                server_header=False, timeout_keep_alive=KEEP_ALIVE_SECONDS)
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
        from service.domains import after_migrate

        for line in await after_migrate(Actor.system("ezh migrate")):
            print(line)
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
            from archive.keys import KeyStoreError
            from service.records.demo import prepare_archive

            try:
                for line in await prepare_archive():
                    print(line)
            except (Refused, KeyStoreError, OSError) as exc:  # the journal works without it
                print(f"Архив демо-школы не подготовлен: {getattr(exc, 'message', None) or exc}")
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


def _columns(specs: list[str]) -> dict[int, str] | None:
    chosen = {}
    for spec in specs:
        number, _, field = spec.partition("=")
        if not number.strip().isdigit() or not 1 <= int(number) <= 60:
            raise ValueError(f"--column {spec}: нужен номер столбца от 1 и поле, например 3=birth_date")
        chosen[int(number) - 1] = field.strip()
    return chosen or None


def cmd_import(args, settings) -> int:
    from datetime import datetime

    from service.audit.log import Actor
    from service.errors import Refused
    from service.exchange.actions import ImportRefused, do_import, preview_file
    from service.readers import MAX_BYTES

    try:
        chosen = _columns(args.column)
        if args.file.stat().st_size > MAX_BYTES:
            return _fail(f"файл {args.file} больше {MAX_BYTES // (1024 * 1024)} МБ")
        data = args.file.read_bytes()
    except ValueError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"не удалось прочитать {args.file}: {exc.strerror}")
    today = datetime.now(settings.tz).date()

    def show(preview) -> None:
        where = ", ".join(p for p in (preview.format.upper(), preview.encoding) if p)
        print(f"Файл {args.file.name}" + (f" ({where})" if where else "") +
              f": строк с данными {len(preview.lines)}, без ошибок {len(preview.items)}.")
        for message in preview.errors:
            print(f"  {message}")

    async def go() -> int:
        await _ready_db()
        try:
            if args.apply:
                preview = await do_import(Actor.system("ezh import"), args.kind, data, today,
                                          chosen, source=f"файл «{args.file.name}»")
                show(preview)
                print(f"Загружено записей: {len(preview.items)}.")
                return 0
            preview = await preview_file(args.kind, data, today, chosen)
        except ImportRefused as exc:
            show(exc.preview)
            print("Ничего не записано: исправьте ошибки и загрузите файл снова.")
            return EXIT_PROBLEM
        except Refused as exc:
            print(f"ezh: {exc.message}. Ничего не записано.", file=sys.stderr)
            return EXIT_PROBLEM
        show(preview)
        if not preview.clean:
            print("Ничего не записано: исправьте ошибки и загрузите файл снова.")
            return EXIT_PROBLEM
        print("Ошибок нет. Записать: ezh import " + args.kind + " " + str(args.file) + " --apply")
        return 0

    return _run(go())


def cmd_export(args, settings) -> int:
    from datetime import datetime

    from service.exchange import queries, writers
    from service.exchange.mapping import KIND_NAMES

    if args.output is None and args.fmt != "csv":
        return _fail(f"формат {args.fmt} — двоичный файл: укажите --output ФАЙЛ")

    async def go() -> int:
        await _ready_db()
        rows = await queries.export_rows(args.kind, datetime.now(settings.tz).date())
        body = writers.write(args.fmt, queries.EXPORT_HEADERS[args.kind], rows,
                             KIND_NAMES[args.kind], bom=args.output is not None)
        if args.output is None:
            sys.stdout.write(body.decode("utf-8"))
            sys.stdout.flush()
        else:
            args.output.write_bytes(body)
            print(f"Выгружено строк: {len(rows)} → {args.output}", file=sys.stderr)
        return 0

    return _run(go())


def cmd_report(args, settings) -> int:
    """A report to a file or standard output, with the page's builders and writers."""
    from service.reports.commands import ReportError, build, deliver

    async def go() -> int:
        await _ready_db()
        if args.report == "oneroster":
            from service.reports.commands import oneroster_zip

            try:
                said = await oneroster_zip(settings, args.year, args.output)
            except ReportError as exc:
                return _fail(str(exc))
            print(said)
            return 0
        try:
            report = await build(args.report, settings, year=getattr(args, "year", None),
                                 class_name=getattr(args, "class_name", None), grade=getattr(args, "grade", None),
                                 period=getattr(args, "period", None), month=getattr(args, "month", None),
                                 week=getattr(args, "week", None))
        except ReportError as exc:
            return _fail(str(exc))
        said = deliver(report, args.format, ";" if args.delimiter == "semicolon" else ",", args.output)
        if said:
            print(said)
        return 0

    return _run(go())


def cmd_digest(args, settings) -> int:
    """The daily digest to parents. Mail off: says so, exits 0, reads and sends nothing. A mail
    server that cannot be reached (or refuses addresses): exit 1; whoever was not sent to is
    not recorded, so the next run tries them again."""
    from datetime import datetime

    from service.diary import digest

    if not settings.mail.enabled:
        print(digest.MAIL_OFF[0].upper() + digest.MAIL_OFF[1:])
        return 0
    day = args.date or datetime.now(settings.tz).date()

    async def go() -> int:
        await _ready_db()
        outcome = await digest.run(settings, day, dry_run=args.dry_run)
        for line in outcome.lines:
            print(line)
        if outcome.error:
            print(f"ezh: {outcome.error}. Ничего больше не отправлено; следующий запуск отправит "
                  "оставшиеся письма.", file=sys.stderr)
            return EXIT_PROBLEM
        if outcome.failed:
            print("ezh: почтовый сервер не принял адреса: " + ", ".join(outcome.failed)
                  + ". Проверьте адреса родителей; следующий запуск попробует снова.", file=sys.stderr)
            return EXIT_PROBLEM
        return 0

    return _run(go())


def cmd_transcripts(args, settings) -> int:
    from service.records.commands import cmd_transcripts as run

    return run(args, settings, _ready_db)


def cmd_archive(args, settings) -> int:
    from service.records.commands import cmd_archive as run

    return run(args, settings, _ready_db)


def cmd_backup(args, settings) -> int:
    from service.backup_commands import cmd_backup as run

    return run(args, settings)


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
    "import": cmd_import,
    "export": cmd_export,
    "backup": cmd_backup,
    "digest": cmd_digest,
    "report": cmd_report,
    "maintenance": cmd_maintenance,
    "ops": cmd_ops,
    "keys": cmd_keys,
    "transcripts": cmd_transcripts,
    "archive": cmd_archive,
    "verify": cmd_verify,
}

if __name__ == "__main__":
    sys.exit(main())

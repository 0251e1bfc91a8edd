"""Settings: one place for every knob of the installation.

Each field names its environment variable (``EZH_*``) and its key in the configuration file
(``/etc/ezh/ezh.toml`` or the file named by ``EZH_CONFIG``). Precedence: environment, file,
default. Everything is validated at start; an error names the bad key in Russian.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Read when EZH_CONFIG is not set. A module global rather than a constant inside
# load_settings, so that the test suite can point it away from the machine's own file.
DEFAULT_CONFIG_FILE = Path("/etc/ezh/ezh.toml")

# Where a value came from, as `ezh settings` says it.
FROM_DEFAULT = "по умолчанию"
FROM_ENVIRONMENT = "переменная окружения"


class SettingsError(Exception):
    """A setting is missing, malformed or out of range; the message names it in Russian."""


def _setting(env: str, default: Any, help: str, *, check=None) -> Any:
    return field(default=default, metadata={"env": env, "help": help, "check": check})


def _check_url(value: str) -> str | None:
    if value.startswith("sqlite:///"):
        return None
    if not value.startswith(("postgresql://", "postgres://")):
        return "ожидается sqlite:///путь/к/файлу или postgresql://пользователь@хост/база"
    parts = urlsplit(value)
    # The port is checked here, not when connecting: a typo stops every command at start with
    # the setting's name instead of a bare ValueError from the URL parser later.
    host_and_port = parts.netloc.rpartition("@")[2]
    ports = [host_and_port.rpartition("]")[2].partition(":")[2]]  # "]": after an IPv6 address
    ports += parse_qs(parts.query).get("port", [])
    for port in filter(None, ports):
        if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            return f"порт «{port}» в адресе базы данных — ожидается число от 1 до 65535"
    return None


def _check_port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "порт должен быть от 1 до 65535"


def _check_positive(value: int) -> str | None:
    return None if value > 0 else "ожидается положительное число"


def _check_timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"неизвестный часовой пояс «{value}» (например, Europe/Moscow)"
    return None


def _check_level(value: str) -> str | None:
    levels = {"DEBUG", "INFO", "WARNING", "ERROR"}
    return None if value.upper() in levels else "ожидается один из: " + ", ".join(sorted(levels))


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = _setting(
        "EZH_DATABASE_URL", "sqlite:///var/ezh.sqlite3",
        "База данных: sqlite:///var/ezh.sqlite3 (демо) или postgresql://ezh@/ezh?host=/run/postgresql",
        check=_check_url,
    )
    app_role: str = _setting(
        "EZH_DATABASE_APP_ROLE", "",
        "Роль PostgreSQL, от имени которой работает служба (получает права при миграции)",
    )
    pool_size: int = _setting("EZH_DATABASE_POOL_SIZE", 10, "Соединений в пуле PostgreSQL",
                              check=_check_positive)


@dataclass(frozen=True)
class ServerSettings:
    host: str = _setting("EZH_HOST", "127.0.0.1", "Адрес, на котором слушает служба")
    port: int = _setting("EZH_PORT", 8000, "Порт службы", check=_check_port)
    workers: int = _setting("EZH_WORKERS", 1, "Число рабочих процессов", check=_check_positive)
    secure_cookies: bool = _setting("EZH_SECURE_COOKIES", False,
                                    "Куки только по HTTPS (включить за nginx с TLS)")
    public_url: str = _setting("EZH_PUBLIC_URL", "",
                               "Адрес журнала для печати на листах с кодами, например https://ezh.school.local")
    behind_proxy: bool = _setting("EZH_BEHIND_PROXY", False,
                                  "Доверять X-Forwarded-For от nginx на этом сервере")


@dataclass(frozen=True)
class PathSettings:
    var_dir: Path = _setting("EZH_VAR_DIR", PROJECT_ROOT / "var",
                             "Каталог данных службы (по умолчанию в нём ключи и контрольные точки)")
    key_dir: Path = _setting("EZH_KEY_DIR", Path(""),
                             "Каталог ключа установки (вне базы данных); пусто — EZH_VAR_DIR/keys")
    checkpoint_dir: Path = _setting("EZH_CHECKPOINT_DIR", Path(""),
                                    "Каталог контрольных точек журнала аудита; пусто — EZH_VAR_DIR/checkpoints")
    seal_passphrase_file: Path = _setting(
        "EZH_SEAL_PASSPHRASE_FILE", Path(""),
        "Файл пароля ключа электронной печати системы; пусто — <key_dir>/school/passphrase")


@dataclass(frozen=True)
class SchoolSettings:
    name: str = _setting("EZH_SCHOOL_NAME", "Школа", "Название школы в заголовках и документах")
    full_name: str = _setting("EZH_SCHOOL_FULL_NAME", "",
                              "Полное наименование школы по уставу для выписок и архива; пусто — как name")
    address: str = _setting("EZH_SCHOOL_ADDRESS", "", "Адрес школы для выписок и архива")
    head: str = _setting("EZH_SCHOOL_HEAD", "", "Директор школы (Фамилия И. О.) для выписок и ведомостей")
    timezone: str = _setting("EZH_TIMEZONE", "Europe/Moscow", "Часовой пояс школы",
                             check=_check_timezone)


@dataclass(frozen=True)
class SecuritySettings:
    session_hours: int = _setting("EZH_SESSION_HOURS", 12, "Сколько часов живёт сеанс без действий",
                                  check=_check_positive)
    login_max_failures: int = _setting("EZH_LOGIN_MAX_FAILURES", 5,
                                       "Неудачных входов в учётную запись до паузы",
                                       check=_check_positive)
    address_max_failures: int = _setting("EZH_ADDRESS_MAX_FAILURES", 30,
                                         "Неудачных входов с одного адреса до паузы",
                                         check=_check_positive)
    login_lock_minutes: int = _setting("EZH_LOGIN_LOCK_MINUTES", 15,
                                       "Окно подсчёта неудачных входов и длительность паузы, минут",
                                       check=_check_positive)
    invitation_days: int = _setting("EZH_INVITATION_DAYS", 30, "Срок действия кода приглашения, дней",
                                    check=_check_positive)
    reset_code_hours: int = _setting("EZH_RESET_CODE_HOURS", 72,
                                     "Срок действия кода сброса пароля, часов", check=_check_positive)
    checkpoint_max_age_hours: int = _setting(
        "EZH_CHECKPOINT_MAX_AGE_HOURS", 24,
        "Через сколько часов без новой контрольной точки журнала аудита ezh audit verify и "
        "ezh check предупреждают", check=_check_positive)


@dataclass(frozen=True)
class LogSettings:
    level: str = _setting("EZH_LOG_LEVEL", "INFO", "Уровень журнала службы", check=_check_level)
    json: bool = _setting("EZH_LOG_JSON", True, "Журнал службы в формате JSON (по строке на событие)")


def _check_clock_time(value: str) -> str | None:
    """A time of day as ЧЧ:ММ (the maintenance window, working hours)."""
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value.strip()):
        return f"ожидается время в виде ЧЧ:ММ, например 02:00, получено «{value}»"
    return None


def _check_weekday(value: int) -> str | None:
    return None if 1 <= value <= 7 else "день недели от 1 (понедельник) до 7 (воскресенье)"


@dataclass(frozen=True)
class MaintenanceSettings:
    window_start: str = _setting("EZH_MAINTENANCE_START", "02:00",
                                 "Начало ночного окна регламентных работ (ezh maintenance run)",
                                 check=_check_clock_time)
    window_end: str = _setting("EZH_MAINTENANCE_END", "06:00",
                               "Конец окна: после него тяжёлые шаги не начинаются",
                               check=_check_clock_time)
    work_start: str = _setting("EZH_WORK_START", "06:00",
                               "Начало рабочего времени для учёта доступности", check=_check_clock_time)
    work_end: str = _setting("EZH_WORK_END", "02:00",
                             "Конец рабочего времени для учёта доступности (02:00 — следующих суток)",
                             check=_check_clock_time)
    drill_weekday: int = _setting("EZH_DRILL_WEEKDAY", 7,
                                  "День недели проверки восстановления в окне (1 — понедельник, "
                                  "7 — воскресенье); также если последней успешной больше 7 дней",
                                  check=_check_weekday)
    probe_url: str = _setting("EZH_PROBE_URL", "",
                              "Адрес службы для ezh ops probe; пусто — http://EZH_HOST:EZH_PORT")


@dataclass(frozen=True)
class BackupSettings:
    repository: Path = _setting("EZH_BACKUP_REPOSITORY", Path(""),
                                "Хранилище резервных копий borg (каталог); пусто — "
                                "EZH_VAR_DIR/backups/repo")
    passphrase_file: Path = _setting("EZH_BACKUP_PASSPHRASE_FILE", Path(""),
                                     "Файл пароля хранилища (только root, 0600); пусто — "
                                     "EZH_VAR_DIR/backups/passphrase")
    state_dir: Path = _setting("EZH_BACKUP_STATE_DIR", Path(""),
                               "Каталог журнала копий и проверок; пусто — EZH_VAR_DIR/backups")
    config_dir: Path = _setting("EZH_BACKUP_CONFIG_DIR", Path("/etc/ezh"),
                                "Каталог настроек, который входит в копию")
    uploads_dir: Path = _setting("EZH_UPLOADS_DIR", Path(""),
                                 "Каталог загруженных файлов; пусто — EZH_VAR_DIR/uploads")
    packages_dir: Path = _setting("EZH_ARCHIVE_PACKAGES_DIR", Path(""),
                                  "Каталог запечатанных архивных пакетов; пусто — "
                                  "EZH_VAR_DIR/archive")
    journal_years: int = _setting("EZH_ARCHIVE_JOURNAL_YEARS", 5,
                                  "Сколько лет после конца учебного года хранятся подробные данные журналов "
                                  "(уроки, отметки, посещаемость); потом архивист удаляет их командой "
                                  "ezh archive purge (ничего не удаляется само)", check=_check_positive)
    keep_daily: int = _setting("EZH_BACKUP_KEEP_DAILY", 7, "Сколько ежедневных копий хранить",
                               check=_check_positive)
    keep_weekly: int = _setting("EZH_BACKUP_KEEP_WEEKLY", 4, "Сколько еженедельных копий хранить",
                                check=_check_positive)
    keep_monthly: int = _setting("EZH_BACKUP_KEEP_MONTHLY", 12,
                                 "Сколько ежемесячных копий хранить", check=_check_positive)
    keep_yearly: int = _setting("EZH_BACKUP_KEEP_YEARLY", 25, "Сколько ежегодных копий хранить",
                                check=_check_positive)


MAIL_SECURITY = ("starttls", "ssl", "none")


def _check_mail_security(value: str) -> str | None:
    if value not in MAIL_SECURITY:
        return "ожидается один из: " + ", ".join(MAIL_SECURITY)
    return None


def _check_sender(value: str) -> str | None:
    """The From of the school's e-mail: «Школа <journal@school.local>» or a bare address; a line
    break would let a value write headers of its own."""
    if "\n" in value or "\r" in value or "@" not in parseaddr(value)[1]:
        return f"ожидается адрес вида «Школа <journal@school.local>», получено «{value}»"
    return None


@dataclass(frozen=True)
class MailSettings:
    """The school's own mail server, for the daily digest to parents (`ezh digest`). Off until
    the school turns it on: nothing leaves the school unless configured."""

    enabled: bool = _setting("EZH_MAIL_ENABLED", False,
                             "Рассылать родителям ежедневную сводку по почте (ezh digest)")
    host: str = _setting("EZH_MAIL_HOST", "", "Почтовый сервер школы (SMTP), например mail.school.local")
    port: int = _setting("EZH_MAIL_PORT", 587, "Порт почтового сервера (587 — STARTTLS, 465 — SSL)",
                         check=_check_port)
    security: str = _setting("EZH_MAIL_SECURITY", "starttls",
                             "Шифрование соединения: starttls, ssl или none (только внутри школы)",
                             check=_check_mail_security)
    user: str = _setting("EZH_MAIL_USER", "", "Учётная запись на почтовом сервере; пусто — без входа")
    password_file: Path = _setting("EZH_MAIL_PASSWORD_FILE", Path(""),
                                   "Файл с паролем учётной записи почты (сам пароль в ezh.toml не пишется)")
    sender: str = _setting("EZH_MAIL_SENDER", "Школа <journal@school.local>",
                           "Отправитель писем: «Название <адрес>»", check=_check_sender)
    digest_time: str = _setting("EZH_MAIL_DIGEST_TIME", "18:00",
                                "Время ежедневной сводки родителям (таймер ezh-digest)",
                                check=_check_clock_time)


SECTIONS: dict[str, type] = {
    "database": DatabaseSettings,
    "server": ServerSettings,
    "paths": PathSettings,
    "school": SchoolSettings,
    "security": SecuritySettings,
    "log": LogSettings,
    "backup": BackupSettings,
    "maintenance": MaintenanceSettings,
    "mail": MailSettings,
}


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    school: SchoolSettings = field(default_factory=SchoolSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    log: LogSettings = field(default_factory=LogSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    maintenance: MaintenanceSettings = field(default_factory=MaintenanceSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    config_file: Path | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False)  # env name → origin

    def source(self, env: str) -> str:
        """Where the value of the setting ``env`` came from, in Russian."""
        return self.sources.get(env, FROM_DEFAULT)

    @property
    def key_dir(self) -> Path:
        return self.paths.key_dir if str(self.paths.key_dir) not in ("", ".") else self.paths.var_dir / "keys"

    @property
    def checkpoint_dir(self) -> Path:
        if str(self.paths.checkpoint_dir) not in ("", "."):
            return self.paths.checkpoint_dir
        return self.paths.var_dir / "checkpoints"

    @property
    def seal_passphrase_file(self) -> Path:
        value = self.paths.seal_passphrase_file
        return value if str(value) not in ("", ".") else self.key_dir / "school" / "passphrase"

    def backup_path(self, name: str) -> Path:
        """A [backup] folder or file; an empty setting means its place under EZH_VAR_DIR."""
        value = getattr(self.backup, name)
        if str(value) not in ("", "."):
            return value
        var = self.paths.var_dir
        return {"repository": var / "backups" / "repo", "passphrase_file": var / "backups" / "passphrase",
                "state_dir": var / "backups", "uploads_dir": var / "uploads",
                "packages_dir": var / "archive"}[name]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.school.timezone)


_TRUE = {"1", "true", "yes", "on", "да"}
_FALSE = {"0", "false", "no", "off", "нет", ""}


def _convert(value: Any, kind: type, where: str) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise SettingsError(f"{where}: ожидается да/нет (true/false), получено «{value}»")
    if kind is int:
        if isinstance(value, bool):
            raise SettingsError(f"{where}: ожидается целое число, получено «{value}»")
        try:
            return int(str(value).strip())
        except ValueError:
            raise SettingsError(f"{where}: ожидается целое число, получено «{value}»") from None
    if kind is Path:
        if not isinstance(value, str | Path):
            raise SettingsError(f"{where}: ожидается путь, получено «{value}»")
        path = Path(value)
        if str(path) and not path.is_absolute():
            path = PROJECT_ROOT / path
        return path
    if not isinstance(value, str):
        raise SettingsError(f"{where}: ожидается строка, получено «{value}»")
    return value


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: файл настроек повреждён: {_toml_problem(exc)}") from None
    except OSError as exc:
        raise SettingsError(f"{path}: не удаётся прочитать файл настроек: {exc.strerror}") from None
    for section, values in data.items():
        if section not in SECTIONS:
            raise SettingsError(
                f"{path}: неизвестный раздел [{section}]; допустимы: " + ", ".join(SECTIONS)
            )
        if not isinstance(values, dict):
            raise SettingsError(f"{path}: «{section}» должен быть разделом [{section}]")
        known = {f.name for f in dataclasses.fields(SECTIONS[section])}
        for key in values:
            if key not in known:
                raise SettingsError(
                    f"{path}: неизвестный параметр [{section}] {key}; допустимы: "
                    + ", ".join(sorted(known))
                )
    return data


def _toml_problem(exc: tomllib.TOMLDecodeError) -> str:
    """The parser's message says where in English; say it in Russian (the parser's own wording
    of what is wrong is not translatable reliably, and line and column find it)."""
    where = re.search(r"at line (\d+), column (\d+)", str(exc))
    if where:
        return f"ошибка синтаксиса TOML в строке {where[1]}, столбце {where[2]}"
    return "ошибка синтаксиса TOML в конце файла (незакрытая строка или скобка?)"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and validate the settings; raise SettingsError naming the bad key."""
    env = dict(os.environ if environ is None else environ)
    config_path: Path | None = None
    file_data: dict[str, Any] = {}
    if env.get("EZH_CONFIG"):
        config_path = Path(env["EZH_CONFIG"])
        if not config_path.exists():
            raise SettingsError(f"EZH_CONFIG: файл настроек {config_path} не найден")
    elif DEFAULT_CONFIG_FILE.exists():
        config_path = DEFAULT_CONFIG_FILE
    if config_path is not None:
        file_data = _read_file(config_path)

    known_env = set()
    sources: dict[str, str] = {}
    sections: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        values = {}
        for f in dataclasses.fields(cls):
            env_name = f.metadata["env"]
            known_env.add(env_name)
            if env_name in env:
                raw, where = env[env_name], env_name
                sources[env_name] = FROM_ENVIRONMENT
            elif f.name in file_data.get(section, {}):
                raw, where = file_data[section][f.name], f"{config_path}: [{section}] {f.name}"
                sources[env_name] = f"файл {config_path}"
            else:
                continue
            value = _convert(raw, f.type if isinstance(f.type, type) else _type_of(f.type), where)
            values[f.name] = value
        for f in dataclasses.fields(cls):
            check = f.metadata.get("check")
            value = values.get(f.name, f.default)
            if check and (problem := check(value)):
                env_name = f.metadata["env"]
                where = (env_name if env_name in env else
                         f"{config_path}: [{section}] {f.name}" if env_name in sources else
                         f"[{section}] {f.name}")
                raise SettingsError(f"{where}: {problem}")
        sections[section] = cls(**values)
    unknown = sorted(k for k in env if k.startswith("EZH_") and k not in known_env | {"EZH_CONFIG"})
    if unknown:
        raise SettingsError(f"{unknown[0]}: неизвестная переменная окружения (опечатка?)")
    return Settings(**sections, config_file=config_path, sources=sources)


def _type_of(annotation: str) -> type:
    return {"str": str, "int": int, "bool": bool, "Path": Path}[annotation]


def describe() -> list[tuple[str, str, str, str]]:
    """(environment variable, file key, default, help) for every setting: used by docs and --help."""
    rows = []
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            default = "" if str(f.default) in ("", ".") else str(f.default)
            rows.append((f.metadata["env"], f"[{section}] {f.name}", default, f.metadata["help"]))
    return rows


def in_effect(settings: Settings) -> list[tuple[str, str, Any, str]]:
    """(environment variable, file key, value in effect, help) for every setting, for
    `ezh settings`; the directories left empty show the directory actually used."""
    derived = {"EZH_KEY_DIR": settings.key_dir, "EZH_CHECKPOINT_DIR": settings.checkpoint_dir,
               "EZH_SEAL_PASSPHRASE_FILE": settings.seal_passphrase_file}
    derived |= {f.metadata["env"]: settings.backup_path(f.name)
                for f in dataclasses.fields(BackupSettings) if f.type in (Path, "Path")
                and f.name != "config_dir"}
    if str(settings.mail.password_file) in ("", "."):
        derived["EZH_MAIL_PASSWORD_FILE"] = ""  # not set: shown as not set, not as "."
    rows = []
    for section, cls in SECTIONS.items():
        values = getattr(settings, section)
        for f in dataclasses.fields(cls):
            env = f.metadata["env"]
            rows.append((env, f"[{section}] {f.name}", derived.get(env, getattr(values, f.name)),
                         f.metadata["help"]))
    return rows


_current: Settings | None = None


def get_settings() -> Settings:
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def set_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (tests, and the CLI after parsing its options)."""
    global _current
    _current = settings

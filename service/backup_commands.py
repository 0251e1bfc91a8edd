"""``ezh backup …``: the service side of backups. It turns the settings into the paths, URLs and
known migrations that ``backups/`` (which imports nothing from ``service/``) is given, prints
what happened in Russian and maps it to the exit code."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from backups.borg import BorgError, Repository
from backups.manifest import manifest_for
from backups.run import BackupConfig, Retention
from backups.state import RunRecord, record_run
from service.settings import PROJECT_ROOT, Settings

EXIT_PROBLEM = 1
EXIT_SETUP = 2


def database_url(settings: Settings) -> str:
    """The URL with a SQLite path made absolute as the service itself resolves it."""
    url = settings.database.url
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not path.is_absolute():
            return f"sqlite:///{PROJECT_ROOT / path}"
    return url


def ezh_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ezh")
    except PackageNotFoundError:
        return ""


def known_migrations() -> set[tuple[str, str]]:
    from service.db import _migration_modules

    return {(app, mid) for app, mid, _ in _migration_modules()}


def backup_config(settings: Settings, repository: Path | None = None) -> BackupConfig:
    b = settings.backup
    state_dir = settings.backup_path("state_dir")
    repo = Repository(repository or settings.backup_path("repository"),
                      settings.backup_path("passphrase_file"), state_dir)
    manifest = manifest_for(
        database_url(settings), config_dir=b.config_dir, key_dir=settings.key_dir,
        checkpoint_dir=settings.checkpoint_dir, uploads_dir=settings.backup_path("uploads_dir"),
        packages_dir=settings.backup_path("packages_dir"),
        passphrase_file=settings.backup_path("passphrase_file"), ezh_version=ezh_version())
    retention = Retention(b.keep_daily, b.keep_weekly, b.keep_monthly, b.keep_yearly)
    return BackupConfig(repo, manifest, state_dir, retention)


def _fail(message: str, code: int = EXIT_SETUP) -> int:
    print(f"ezh: {message}", file=sys.stderr)
    return code


def _report(run: RunRecord) -> int:
    if run.ok:
        print(run.message)
        for note in run.details.get("notes", []):
            print(f"  примечание: {note}")
        return 0
    print(f"ezh: СБОЙ: {run.message}", file=sys.stderr)
    return EXIT_PROBLEM


def cmd_backup(args, settings: Settings) -> int:
    handlers = {"init": _init, "run": _run, "dump": _dump, "list": _list, "restore": _restore,
                "drill": _drill, "export": _export, "key-export": _key_export}
    try:
        return handlers[args.backup_command](args, settings)
    except BorgError as exc:
        return _fail(exc.message, EXIT_PROBLEM)


def _init(args, settings) -> int:
    from backups.run import init_repository

    for line in init_repository(backup_config(settings).repository):
        print(line)
    return 0


def _run(args, settings) -> int:
    from backups.run import periodic_check, run_backup

    cfg = backup_config(settings)
    code = _report(run_backup(cfg))
    if code == 0 and args.verify_data:
        check = periodic_check(cfg, force_verify=True)
        if check is not None:
            code = _report(check)
    return code


def _dump(args, settings) -> int:
    from backups.run import run_backup

    return _report(run_backup(backup_config(settings), database_only=True))


def _list(args, settings) -> int:
    from backups.state import runs

    cfg = backup_config(settings)
    archives = cfg.repository.archives()
    print(f"Архивы в {cfg.repository.path}: {len(archives)}")
    for a in archives:
        print(f"  {a['name']}  ({a['time'][:16].replace('T', ' ')})")
    recent = runs(cfg.state_dir)[-10:]
    if recent:
        print("Последние запуски:")
        for r in recent:
            when = r.started_at.astimezone(settings.tz)
            print(f"  {when:%d.%m.%Y %H:%M} {r.kind}: {'OK' if r.ok else 'СБОЙ'} — {r.message}")
    return 0


def _restore(args, settings) -> int:
    from backups.restore import RestoreRefused, latest_archive, restore
    from backups.run import FULL_PREFIX

    cfg = backup_config(settings)
    if not args.replace and not args.database:
        return _fail("укажите, куда восстановить: --database НОВАЯ_БАЗА (имя базы PostgreSQL или "
                     "путь к новому файлу SQLite) и --to НОВЫЙ_КАТАЛОГ для файлов; или --replace "
                     "(заменить живые данные, сначала будет сделана свежая копия)")
    started = datetime.now(UTC)
    target = None
    if args.database:
        from backups.restore import with_database

        live = database_url(settings)
        target = args.database if "://" in args.database else (
            f"sqlite:///{Path(args.database).resolve()}" if live.startswith("sqlite:///")
            else with_database(live, args.database))
    try:
        archive = args.archive or latest_archive(cfg.repository, FULL_PREFIX)
        result = restore(cfg, archive, known_migrations=known_migrations(), database_url=target,
                         folders_to=args.to, replace=args.replace)
    except RestoreRefused as exc:
        record_run(cfg.state_dir, RunRecord("restore", started, datetime.now(UTC), False,
                                            str(exc), args.archive or ""))
        return _fail(str(exc), EXIT_PROBLEM)
    from service.db import describe_url

    message = f"Архив {archive} восстановлен в {describe_url(result.database_url)}."
    record_run(cfg.state_dir, RunRecord("restore", started, datetime.now(UTC), True, message,
                                        archive, details={"folders": result.folders,
                                                          "set_aside": result.set_aside}))
    print(message)
    if result.before_restore:
        print(f"Перед заменой сделана копия {result.before_restore}.")
    for name, where in result.folders.items():
        print(f"  {name}: {where}")
    if result.set_aside:
        print(f"Контрольные точки новее копии отложены (не удалены): {len(result.set_aside)} — "
              "см. подкаталог set-aside-… в каталоге контрольных точек.")
    if not args.replace:
        print("Живые данные не тронуты. Проверить: EZH_DATABASE_URL=… ezh audit verify")
    else:
        print("Дальше: ezh migrate, ezh audit verify, затем запустите службу.")
    return 0


def _drill(args, settings) -> int:
    from backups.drill import run_drill

    base_env = {k: v for k, v in os.environ.items()
                if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") or k.startswith("EZH_")}
    base_env["EZH_CONFIG"] = str(settings.config_file or "/dev/null")
    base_env["EZH_LOG_JSON"] = "false"
    result = run_drill(backup_config(settings), ezh_command=[sys.executable, "-m", "service.cli"],
                       base_env=base_env, known_migrations=known_migrations(),
                       school=settings.school.name,
                       local_time=lambda t: t.astimezone(settings.tz))
    for n, step in enumerate(result.steps, 1):
        print(f"{n}. {'OK  ' if step.ok else 'СБОЙ'} {step.name} ({step.seconds:.1f} с)"
              + (f": {step.text}" if step.text else ""))
    print(("PASS: " if result.ok else "FAIL: ") + result.record.message)
    print(f"Акт проверки восстановления: {result.act_text}"
          + (f" и {result.act_pdf}" if result.act_pdf else ""))
    return 0 if result.ok else EXIT_PROBLEM


def _export(args, settings) -> int:
    from backups.export import ExportRefused, export_to

    cfg = backup_config(settings)
    try:
        run = export_to(cfg, args.to)
    except ExportRefused as exc:
        started = datetime.now(UTC)
        record_run(cfg.state_dir, RunRecord("export", started, started, False, str(exc),
                                            details={"disk": str(args.to)}))
        return _fail(str(exc), EXIT_PROBLEM)
    return _report(run)


def _key_export(args, settings) -> int:
    from backups.paperkey import write_paper_key

    repo = backup_config(settings).repository
    if args.out:
        path = write_paper_key(repo, args.out, settings.school.name, datetime.now(settings.tz))
        print(f"Страница с бумажным ключом: {path} — распечатайте и уберите в сейф вместе с "
              "паролем; файл затем удалите.")
        return 0
    print(repo.key_export_paper())
    print("Распечатайте (или перепишите) ключ и уберите в сейф вместе с паролем из "
          f"{repo.passphrase_file}.")
    return 0

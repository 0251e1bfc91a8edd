"""`ezh keys …`, `ezh transcripts issue` and `ezh verify`: the glue between the command line
(service/cli.py names these) and the archive. Imports stay inside the functions: `ezh` starts
fast for every other command."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

EXIT_PROBLEM, EXIT_SETUP = 1, 2


def _fail(message: str, code: int = EXIT_SETUP) -> int:
    print(f"ezh: {message}", file=sys.stderr)
    return code


def add_parsers(sub) -> None:
    keys = sub.add_parser("keys", help="электронная печать системы: создать, сменить, импортировать, показать")
    ksub = keys.add_subparsers(dest="keys_command", title="действия", metavar="действие", required=True)
    ki = ksub.add_parser("init", help="создать корневой сертификат школы и сертификат печати")
    ki.add_argument("--algorithm", choices=("ecdsa-p256", "rsa-3072"), default="ecdsa-p256",
                    help="алгоритм ключа (по умолчанию ECDSA P-256)")
    ksub.add_parser("rotate", help="новый ключ печати от того же корневого сертификата (старые "
                                   "документы остаются проверяемыми)")
    kp = ksub.add_parser("import", help="импортировать ключ и сертификат из PKCS#12 внешнего удостоверяющего центра")
    kp.add_argument("file", type=Path, metavar="ФАЙЛ.p12")
    kp.add_argument("--password-file", type=Path, metavar="ФАЙЛ", help="файл с паролем PKCS#12")
    ksub.add_parser("show", help="сертификаты печати: кто, до когда, отпечатки")
    ke = ksub.add_parser("export-ca", help="корневой сертификат школы (PEM) — для проверки документов без ЭЖ")
    ke.add_argument("--output", type=Path, metavar="ФАЙЛ", help="куда записать (по умолчанию на экран)")

    tr = sub.add_parser("transcripts", help="выписки успеваемости с электронной печатью системы")
    tsub = tr.add_subparsers(dest="transcripts_command", title="действия", metavar="действие", required=True)
    ti = tsub.add_parser("issue", help="выпустить выписки класса, параллели или всей школы (по PDF на ученика)")
    ti.add_argument("--year", required=True, metavar="ГГГГ/ГГГГ", help="учебный год, например 2025/2026")
    ti.add_argument("--period", metavar="ПЕРИОД", help="«1 четверть», «2 полугодие»…; по умолчанию — за год")
    ti.add_argument("--class", dest="class_name", metavar="КЛАСС", help="класс, например 7А")
    ti.add_argument("--grade", type=int, metavar="ПАРАЛЛЕЛЬ", help="все классы параллели, 1–11")
    ti.add_argument("--out", type=Path, metavar="КАТАЛОГ", help="скопировать выпущенные PDF ещё и сюда")

    vf = sub.add_parser("verify", help="проверить PDF с электронной печатью системы без сети и без базы "
                                       "(код 0 — подлинный, 1 — нет)")
    vf.add_argument("file", type=Path, metavar="ФАЙЛ.pdf")
    vf.add_argument("--ca", type=Path, action="append", metavar="ca.pem",
                    help="корневой сертификат школы (по умолчанию — из каталога ключей)")


def cmd_keys(args, settings) -> int:
    from archive import keys
    from service.records.issue import seal_passphrase_file

    folder = settings.key_dir / "school"
    phrase = seal_passphrase_file()
    try:
        if args.keys_command == "init":
            keys.init_school_keys(folder, school_name=settings.school.full_name or settings.school.name,
                                  algorithm=args.algorithm, passphrase_file=phrase)
            print(f"Электронная печать системы создана в {folder}; пароль ключа — в {phrase or folder / 'passphrase'} (права 0600).")
            _show(keys.describe(folder))
            print("Отпечаток корневого сертификата распечатайте и храните с документами школы: по нему "
                  "проверяют подлинность документов без ЭЖ.")
            return 0
        if args.keys_command == "rotate":
            keys.rotate(folder, passphrase_file=phrase)
            print("Новый ключ печати создан; прежние сертификаты сохранены, выданные документы проверяются по-прежнему.")
            _show(keys.describe(folder))
            return 0
        if args.keys_command == "import":
            password = args.password_file.read_bytes().strip() if args.password_file else None
            keys.import_pkcs12(folder, args.file.read_bytes(), password, passphrase_file=phrase)
            print("Ключ и сертификат импортированы.")
            _show(keys.describe(folder))
            return 0
        if args.keys_command == "show":
            _show(keys.describe(folder))
            return 0
        pem = keys.export_ca_pem(folder)
        if args.output:
            args.output.write_bytes(pem)
            print(f"Корневой сертификат школы записан в {args.output}")
        else:
            sys.stdout.write(pem.decode("ascii"))
        return 0
    except keys.KeyStoreError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{exc.filename or ''}: {exc.strerror or exc}")


def _show(info: dict) -> None:
    from archive.keys import describe_lines

    for line in describe_lines(info):
        print(line)


def cmd_verify(args, settings) -> int:
    from cryptography import x509

    from archive import keys, pdfsign

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        return _fail(f"{args.file}: {exc.strerror or exc}")
    try:
        roots = ([x509.load_pem_x509_certificate(p.read_bytes()) for p in args.ca] if args.ca
                 else keys.trust_roots(settings.key_dir / "school"))
    except (OSError, ValueError, keys.KeyStoreError) as exc:
        return _fail(f"корневой сертификат школы не прочитан: {exc}")
    verdict = pdfsign.verify_pdf(data, roots)
    when = f", {verdict.signed_at.astimezone(settings.tz):%d.%m.%Y %H:%M}" if verdict.signed_at else ""
    who = f" Заверил: {verdict.signer}{when}." if verdict.signer else ""
    if verdict.status == "valid":
        print(f"{args.file}: подлинный — печать системы верна, документ не изменялся.{who}")
        return 0
    print(f"{args.file}: НЕ подтверждён — {verdict.message}{who}")
    return EXIT_PROBLEM


def cmd_transcripts(args, settings, ready_db) -> int:
    """``ready_db``: the command line's check that the database answers and is migrated."""
    from service.accounts.viewer import Viewer
    from service.errors import NotFound, Refused
    from service.records.issue import archive_dir, do_issue_transcripts
    from service.timetable.tables import Lesson

    cli = Viewer(user_id=None, login="ezh transcripts", person_id=None, full_name="ezh", roles=(),
                 permissions=frozenset({"records.issue", "archive.view"}))

    async def go() -> int:
        await ready_db()
        years = await Lesson.raw("SELECT id FROM academic_year WHERE name = {}", args.year).run()
        if not years:
            return _fail(f"учебного года {args.year} нет")
        year_id = years[0]["id"]
        period_id = None
        if args.period:
            found = await Lesson.raw("SELECT id FROM study_period WHERE year = {} AND lower(name) = lower({})",
                                     year_id, args.period.strip()).run()
            if not found:
                return _fail(f"в {args.year} учебном году нет периода «{args.period}»")
            period_id = found[0]["id"]
        class_ids = None
        if args.class_name:
            found = await Lesson.raw("SELECT id FROM school_class WHERE year = {} AND upper(name) = upper({})",
                                     year_id, args.class_name.strip()).run()
            if not found:
                return _fail(f"в {args.year} учебном году нет класса {args.class_name}")
            class_ids = [found[0]["id"]]

        def progress(done: int, total: int) -> None:
            print(f"\r  готово {done} из {total}", end="", file=sys.stderr, flush=True)

        try:
            issued = await do_issue_transcripts(cli, year_id, period_id=period_id, class_ids=class_ids,
                                                grade=args.grade, progress=progress)
        except (Refused, NotFound) as exc:
            print(file=sys.stderr)
            return _fail(getattr(exc, "message", "") or "нет таких классов")
        print(file=sys.stderr)
        print(f"Выпущено выписок: {issued.count} за {issued.seconds:.0f} с; файлы — в {archive_dir() / 'documents'}")
        if issued.skipped:
            print(f"Без итоговых отметок (не выпущены): {len(issued.skipped)} — " + ", ".join(issued.skipped[:30]))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for d in issued.documents:
                target = args.out / d["class"] / Path(d["file"]).name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(archive_dir() / d["file"], target)
            print(f"Копии — в {args.out}")
        return 0

    return asyncio.run(go())


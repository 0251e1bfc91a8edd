"""`ezh keys …`, `ezh transcripts issue` and `ezh verify`: the glue between the command line
(service/cli.py names these) and the archive. Imports stay inside the functions: `ezh` starts
fast for every other command."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

EXIT_PROBLEM, EXIT_SETUP = 1, 2
ARCHIVE_KIND = "archive-verify"  # `ezh archive verify` records its run so; `ezh check` reads it


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

    ar = sub.add_parser("archive", help="запечатанные учебные годы: запечатать, открыть для исправления, "
                                        "список, проверить")
    asub = ar.add_subparsers(dest="archive_command", title="действия", metavar="действие", required=True)
    sl = asub.add_parser("seal", help="запечатать закрытый учебный год: пакет BagIt (папка и tar) и паспорт архива")
    sl.add_argument("--year", required=True, metavar="ГГГГ/ГГГГ", help="учебный год, например 2025/2026")
    sl.add_argument("--out", type=Path, metavar="КАТАЛОГ",
                    help="куда положить пакет (по умолчанию — в архив школы, <packages_dir>/years; "
                         "он входит в резервные копии)")
    ro = asub.add_parser("reopen", help="открыть запечатанный год для исправления (пакет остаётся действительным)")
    ro.add_argument("--year", required=True, metavar="ГГГГ/ГГГГ")
    ro.add_argument("--reason", required=True, metavar="ПРИЧИНА", help="что исправляется и на каком основании")
    asub.add_parser("list", help="запечатанные годы: версии, отпечатки, последняя проверка")
    ag = asub.add_parser("attach-signature", help="приложить квалифицированную подпись директора (.sig) к пакету "
                                                  "года или к выданному документу")
    ag.add_argument("file", type=Path, metavar="ФАЙЛ.sig")
    target = ag.add_mutually_exclusive_group(required=True)
    target.add_argument("--year", metavar="ГГГГ/ГГГГ", help="к последней версии пакета этого года")
    target.add_argument("--code", metavar="КОД", help="к документу с этим кодом проверки")
    ag.add_argument("--note", default="", metavar="ТЕКСТ", help="примечание: кто и когда подписал")
    pg = asub.add_parser("purge", help="удалить подробные данные журналов года по истечении срока хранения "
                                       "(только из проверенного запечатанного пакета) и составить акт")
    pg.add_argument("--year", required=True, metavar="ГГГГ/ГГГГ")
    pg.add_argument("--act-number", required=True, metavar="НОМЕР", help="номер акта о выделении к уничтожению")
    pg.add_argument("--chair", required=True, metavar="«ДОЛЖНОСТЬ: ФИО»", help="председатель комиссии")
    pg.add_argument("--member", action="append", default=[], metavar="«ДОЛЖНОСТЬ: ФИО»",
                    help="член комиссии (повторите для каждого)")
    how = pg.add_mutually_exclusive_group(required=True)
    how.add_argument("--dry-run", action="store_true", help="только показать, что будет удалено, и составить "
                                                            "проект акта (ничего не удаляется)")
    how.add_argument("--confirm", action="store_true", help="удалить (после того как акт подписан)")
    av = asub.add_parser("verify", help="проверить все запечатанные пакеты сейчас (код 0 — все целы)")
    av.add_argument("--year", metavar="ГГГГ/ГГГГ", help="только этот учебный год")

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
        if issued.moved:
            print(f"Переведены в другой класс (выписку выпускает их новый класс): {len(issued.moved)} — "
                  + ", ".join(issued.moved[:30]))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for d in issued.documents:
                target = args.out / d["class"] / Path(d["file"]).name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(archive_dir() / d["file"], target)
            print(f"Копии — в {args.out}")
        return 0

    return asyncio.run(go())



def cmd_archive(args, settings, ready_db) -> int:
    """``ezh archive seal|reopen|list|verify`` as the deputy head's button does it, with the
    rights of the command line (records.seal, archive.view)."""
    from datetime import UTC, datetime

    from backups.state import RunRecord, record_run
    from service.accounts.viewer import Viewer
    from service.errors import NotFound, Refused
    from service.records import seal
    from service.timetable.tables import Lesson

    cli = Viewer(user_id=None, login="ezh archive", person_id=None, full_name="ezh archive (командная строка)",
                 roles=(), permissions=frozenset({"records.seal", "records.issue", "archive.view"}))

    async def year_id(name: str) -> int | None:
        rows = await Lesson.raw("SELECT id FROM academic_year WHERE name = {}", name.strip()).run()
        return rows[0]["id"] if rows else None

    async def attach() -> int:
        from service.records import rules, signatures

        if not args.file.is_file():
            return _fail(f"файла {args.file} нет")
        data = args.file.read_bytes()[:signatures.MAX_BYTES + 1]
        sealed_id = document_id = None
        if args.year:
            yid = await year_id(args.year)
            last = await seal.latest_seal(yid) if yid else None
            if last is None:
                return _fail(f"{args.year} учебный год не запечатан")
            sealed_id = last["id"]
        else:
            code = rules.normalise_short_code(args.code)
            rows = await Lesson.raw("SELECT id FROM issued_document WHERE short_code = {}", code or "").run()
            if not rows:
                return _fail(f"документа с кодом {args.code} школа не выдавала")
            document_id = rows[0]["id"]
        try:
            done = await signatures.do_attach_signature(cli, sealed_id=sealed_id, document_id=document_id,
                                                        filename=args.file.name, data=data, note=args.note)
        except (Refused, NotFound) as exc:
            return _fail(getattr(exc, "message", "") or "не найдено", EXIT_PROBLEM)
        print(f"Подпись приложена к «{done['to']}»: SHA-256 {done['sha256']}, файл {done['file']}; {done['checked']}")
        return 0

    async def purge_year() -> int:
        import getpass
        import os

        from service.records import purge

        yid = await year_id(args.year)
        if yid is None:
            return _fail(f"учебного года {args.year} нет")
        who = os.environ.get("SUDO_USER") or getpass.getuser()
        runner = Viewer(user_id=None, login=f"ezh archive purge ({who})", person_id=None,
                        full_name=f"{who} (ezh archive purge)", roles=(), permissions=frozenset({"records.purge"}))
        try:
            done = await purge.do_purge(runner, yid, act_number=args.act_number, chair=args.chair,
                                        members=args.member, dry_run=args.dry_run)
        except (Refused, NotFound) as exc:
            return _fail(getattr(exc, "message", "") or "не найдено", EXIT_PROBLEM)
        p = done["plan"]
        print(f"{p.year['name']} учебный год, пакет {p.package['name']} (контрольная сумма {p.package['root_digest']}):")
        for table, _, title in purge.TABLES:
            print(f"  {title}: {p.counts.get(table, 0)}")
        print(f"  справки об отсутствии: {p.counts.get('absence_note', 0)}\n  уроки: {p.counts.get('lesson', 0)}")
        print(f"  учеников, чьи данные затронуты: {p.pupils}")
        if done["removed"]:
            print(f"Удалено записей: {p.total}, файлов домашних заданий: {done['files']}. "
                  f"Акт об уничтожении персональных данных: {done['act']}")
        else:
            print(f"Ничего не удалено (--dry-run). Проект акта о выделении к уничтожению: {done['act']} — "
                  "подпишите его и запустите команду с --confirm.")
        return 0

    async def go() -> int:
        await ready_db()
        cmd = args.archive_command
        if cmd == "attach-signature":
            return await attach()
        if cmd == "purge":
            return await purge_year()
        if cmd in ("seal", "reopen") or (cmd == "verify" and args.year):
            yid = await year_id(args.year)
            if yid is None:
                return _fail(f"учебного года {args.year} нет")
        try:
            if cmd == "seal":
                done = await seal.do_seal_year(cli, yid, out_dir=args.out,
                                               progress=lambda what: print(f"  … {what}", file=sys.stderr, flush=True))
                print(f"Запечатан {args.year} учебный год: {done.name} (версия {done.version}), "
                      f"файлов {done.files}, {done.bytes} байт, за {done.seconds:.0f} с")
                print(f"Папка: {done.folder}\nTar:   {done.tar}\nПаспорт архива (распечатать, подписать, "
                      f"поставить печать): {done.passport}")
                print(f"Корневой отпечаток: {done.root_digest}")
                if done.without_sheets:
                    print("Без сводной ведомости (ни одной итоговой отметки, например безотметочное обучение): "
                          + ", ".join(done.without_sheets))
                if done.reissued:
                    print(f"Выписок за год выпущено заново (данные изменились или их не было): {done.reissued}")
                if args.out:
                    print("Пакет лежит вне архива школы: он не попадёт в резервные копии и еженощную проверку.")
                return 0
            if cmd == "reopen":
                done = await seal.do_reopen_year(cli, yid, args.reason)
                print(f"{done['year']} учебный год открыт для исправления; пакет {done['package']} остаётся "
                      f"действительным. Следующее запечатывание сделает версию {done['next_version']}.")
                return 0
            rows = await seal.register(yid if cmd == "verify" and args.year else None)
            if cmd == "list":
                if not rows:
                    print("Запечатанных учебных лет нет.")
                for r in rows:
                    state = ("цел" if r["verified_ok"] else "НЕ ПРОШЁЛ ПРОВЕРКУ") if r["verified_ok"] is not None \
                        else "не проверялся"
                    print(f"{r['year_name']}  v{r['version']}  {r['name']}  файлов {r['files']}  "
                          f"{r['root_digest']}  проверен {r['verified_at'].astimezone(settings.tz):%d.%m.%Y %H:%M}: {state}"
                          + (f"  (открыт для исправления: {r['reopen_reason']})" if r["reopened_at"] else ""))
                return 0
            started = datetime.now(UTC)
            bad = []
            for r in rows:
                verdict = await seal.do_verify_sealed(cli, r["id"])
                if not verdict["ok"]:
                    bad.append(f"{r['name']}: {verdict['message']}")
                print(f"{r['name']}: {'цел' if verdict['ok'] else 'НЕ ПРОШЁЛ'} — {verdict['message']}")
            if not rows:
                print("Запечатанных учебных лет нет: проверять нечего.")
                return 0
            message = (f"пакетов проверено: {len(rows)}, все целы" if not bad else
                       f"не прошли проверку {len(bad)} из {len(rows)}: " + "; ".join(bad[:5]))
            record_run(settings.backup_path("state_dir"), RunRecord(
                kind=ARCHIVE_KIND, started_at=started, finished_at=datetime.now(UTC), ok=not bad, message=message,
                details={"steps": [{"code": "archive", "status": "failed" if bad else "ok", "message": message}]}))
            return EXIT_PROBLEM if bad else 0
        except (Refused, NotFound) as exc:
            return _fail(getattr(exc, "message", "") or "не найдено", EXIT_PROBLEM)

    return asyncio.run(go())

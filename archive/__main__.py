"""``python -m archive``: check a sealed PDF and manage the school's seal keys with the archive
alone — no journal, no database, no network.

Subcommands live in ``COMMANDS``; another module adds one with ``@command("name", help=...)``
on a function taking the subparser (to declare arguments) and returning the runner."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Runner = Callable[[argparse.Namespace], int]
# name -> (help, setup); setup declares the subparser's arguments and returns the runner
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], Runner]]] = {}


def command(name: str, *, help: str):  # noqa: A002 - argparse's own word
    def register(setup: Callable[[argparse.ArgumentParser], Runner]):
        COMMANDS[name] = (help, setup)
        return setup
    return register


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups,
                          "использование: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse with its own words in Russian (its error details stay as argparse says them)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._optionals.title = "параметры"
        self._positionals.title = "аргументы"
        self.add_argument("-h", "--help", action="help", help="показать эту справку и выйти")

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: ошибка в аргументах: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m archive", description=(
        "Архив электронного журнала: проверка документов с электронной печатью системы "
        "(контроль целостности) и ключи печати. Работает без журнала, базы и сети."))
    sub = parser.add_subparsers(dest="command", title="команды", metavar="команда",
                                required=True, parser_class=_Parser)
    for name, (text, setup) in COMMANDS.items():
        p = sub.add_parser(name, help=text, description=text)
        p.set_defaults(run=setup(p))
    return parser


def main(argv: list[str] | None = None) -> int:
    from archive.keys import KeyStoreError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyStoreError as exc:
        print(f"archive: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"archive: {exc.filename or ''}: {_os_reason(exc)}", file=sys.stderr)
    return EXIT_FAILED


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "файл не найден"
    if isinstance(exc, PermissionError):
        return "нет прав на чтение или запись"
    if isinstance(exc, IsADirectoryError):
        return "это каталог, а нужен файл"
    return exc.strerror or str(exc)


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone():%d.%m.%Y %H:%M %Z}" if moment else "дата не указана"


def _read_roots(paths: list[Path]):
    from cryptography import x509

    roots = []
    for path in paths:
        data = path.read_bytes()
        try:
            roots += (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                      else [x509.load_der_x509_certificate(data)])
        except ValueError:
            raise OSError(0, "не сертификат X.509 (нужен PEM или DER)", str(path)) from None
    return roots


@command("verify", help="проверить PDF с электронной печатью системы (код 0 — подлинный, "
                        "1 — нет или проверить не удалось)")
def _verify(p: argparse.ArgumentParser) -> Runner:
    p.add_argument("file", type=Path, metavar="ФАЙЛ.pdf", help="документ для проверки")
    p.add_argument("--ca", type=Path, action="append", metavar="ca.pem",
                   help="корневой сертификат школы (можно несколько раз; файл может содержать "
                        "несколько сертификатов)")
    p.add_argument("--dir", type=Path, metavar="КАТАЛОГ",
                   help="каталог ключей печати: проверить по всем его корневым сертификатам")

    def run(args: argparse.Namespace) -> int:
        from archive import keys, pdfsign

        if not args.ca and not args.dir:
            print("archive: укажите корневой сертификат школы (--ca ca.pem) или каталог ключей "
                  "(--dir)", file=sys.stderr)
            return EXIT_FAILED
        roots = _read_roots(args.ca or []) + (keys.trust_roots(args.dir) if args.dir else [])
        verdict = pdfsign.verify_pdf(args.file.read_bytes(), roots)
        who = (f" Заверено: {verdict.signer}, {_when(verdict.signed_at)}."
               if verdict.signer else "")
        if verdict.ok:
            print(f"{args.file}: подлинный — {verdict.message}.{who}")
            return EXIT_OK
        print(f"{args.file}: НЕ подтверждён — {verdict.message}.{who}")
        return EXIT_FAILED

    return run


def _show(folder: Path) -> None:
    from archive import keys

    for line in keys.describe_lines(keys.describe(folder)):
        print(line)


@command("keys", help="ключи электронной печати системы: создать, сменить, импортировать, "
                      "показать")
def _keys(p: argparse.ArgumentParser) -> Runner:
    sub = p.add_subparsers(dest="action", title="действия", metavar="действие", required=True)

    def with_dir(name: str, text: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=text, description=text)
        q.add_argument("--dir", type=Path, required=True, metavar="КАТАЛОГ",
                       help="каталог ключей печати (в службе — <key_dir>/school)")
        q.add_argument("--passphrase-file", type=Path, metavar="ФАЙЛ",
                       help="файл пароля ключей (по умолчанию КАТАЛОГ/passphrase)")
        return q

    init = with_dir("init", "создать корневой сертификат школы и сертификат печати")
    init.add_argument("--school", required=True, metavar="НАЗВАНИЕ",
                      help="название школы (в сертификате — первые 64 знака)")
    init.add_argument("--algorithm", choices=("ecdsa-p256", "rsa-3072"), default="ecdsa-p256",
                      help="алгоритм ключа (по умолчанию ECDSA P-256)")
    with_dir("rotate", "новый ключ печати от того же корневого сертификата; прежние "
                       "сертификаты сохраняются, выданные документы проверяются по-прежнему")
    imp = with_dir("import", "ключ и сертификат из PKCS#12 внешнего удостоверяющего центра")
    imp.add_argument("file", type=Path, metavar="ФАЙЛ.p12")
    imp.add_argument("--password-file", type=Path, metavar="ФАЙЛ",
                     help="файл с паролем PKCS#12 (без него пароль спрашивается, если есть "
                          "терминал)")
    with_dir("show", "сертификат печати: кто, до какого числа, отпечатки")
    export = with_dir("export-ca", "корневые сертификаты школы (PEM) — для проверки документов "
                                   "без журнала")
    export.add_argument("--output", type=Path, metavar="ФАЙЛ",
                        help="куда записать (по умолчанию на экран)")

    def run(args: argparse.Namespace) -> int:
        from archive import keys

        folder, phrase = args.dir, args.passphrase_file
        if args.action == "init":
            keys.init_school_keys(folder, school_name=args.school, algorithm=args.algorithm,
                                  passphrase_file=phrase)
            print(f"Электронная печать системы создана в {folder}; пароль ключей — в "
                  f"{phrase or folder / 'passphrase'} (права 0600).")
        elif args.action == "rotate":
            keys.rotate(folder, passphrase_file=phrase)
            print("Новый ключ печати создан; прежние сертификаты сохранены в history/.")
        elif args.action == "import":
            if args.password_file:
                password = args.password_file.read_bytes().rstrip(b"\r\n")
            elif sys.stdin.isatty():
                password = getpass.getpass("Пароль PKCS#12: ").encode() or None
            else:
                password = None
            keys.import_pkcs12(folder, args.file.read_bytes(), password, passphrase_file=phrase)
            print(f"Ключ и сертификат из {args.file} импортированы.")
        elif args.action == "export-ca":
            pem = keys.export_ca_pem(folder)
            if args.output:
                args.output.write_bytes(pem)
                print(f"Корневые сертификаты школы записаны в {args.output}")
            else:
                sys.stdout.write(pem.decode("ascii"))
            return EXIT_OK
        _show(folder)
        return EXIT_OK

    return run


if __name__ == "__main__":
    sys.exit(main())

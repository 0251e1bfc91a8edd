"""The sealed year package: a BagIt folder (RFC 8493) and the same as one plain tar.

The year's documents (``payload``) become ``data/``; SHA-256 and SHA-512 manifests in exactly the
``sha256sum`` format, tag manifests over every tag file, and «электронная печать системы
(контроль целостности)» — a detached CMS signature of ``tagmanifest-sha256.txt`` — make any change
visible to ``sha256sum -c`` and ``openssl cms -verify`` alone. The root digest (SHA-256 of
``tagmanifest-sha256.txt``) is returned, never stored in the package (a file cannot vouch for
itself): it goes on the paper passport that the head signs.

We write the few BagIt lines ourselves instead of ``bagit.make_bag``: that function changes the
process's working folder (unsafe in a server), writes BagIt 0.97 rather than RFC 8493's 1.0, and
lists tag files in directory order with one space, which ``sha256sum`` format does not promise.
The ``bagit`` library then validates every package we make, as a second, independent reader.

A package is built under ``out_dir/.<name>.partial-<random>/`` and moved into place only after it
verified — folder and tar — with ``archive.package_verify`` (the code every package carries as
``verify.py``). Any failure, a full disk included, removes the partial folder."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
import stat
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import bagit
import jinja2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from archive import package_verify
from archive.identity import SigningIdentity
from archive.package_verify import (
    ALGORITHMS,
    BAGIT_TXT,
    CA_FILE,
    NONE_VALUE,
    ROOT_FILE,
    SEAL_CERT_FILE,
    SIGNATURE,
    tar_chunks,
    tar_mode,
    verify_package,
)

FILES_DIR = Path(__file__).with_name("package_files")
OPIS = "opis.pdf"
CHUNK = 1024 * 1024
YEAR_RE = re.compile(r"^(\d{4})/(\d{4})$")
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
NOT_TOUCHED = "пакет не создан, прежние пакеты не тронуты"


class PackageError(Exception):
    """A package that cannot be made; the message is Russian and names what is at fault."""


@dataclass(frozen=True)
class SealMeta:
    school_name: str
    year: str  # "2025/2026"
    version: int  # 1; a reopened and resealed year gets 2, 3, ...
    sealed_at: datetime  # aware
    sealed_by: str  # who sealed (a person's name or login)
    previous_year_digest: str | None  # root digest of the previous year's latest seal
    supersedes_digest: str | None  # root digest of the previous version of this year
    software: str  # e.g. "ezh 0.1.0"
    export_format: str  # e.g. "ezh-export/1"


@dataclass(frozen=True)
class SealResult:
    folder: Path
    tar: Path
    root_digest: str
    files: int  # files in data/ (Payload-Oxum)
    bytes: int  # their bytes (Payload-Oxum)


@dataclass(frozen=True)
class InventoryItem:
    """One document for the опись: its path under data/, Russian title, size and SHA-256."""
    path: str
    title: str
    size: int
    sha256: str


def package_name(meta: SealMeta) -> str:
    """ASCII name of the folder and the tar: ``ezh-2025-2026-v1``."""
    m = YEAR_RE.match(meta.year)
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        raise PackageError(f"учебный год «{meta.year}» указан неверно: нужен вид 2025/2026")
    if isinstance(meta.version, bool) or not isinstance(meta.version, int) or meta.version < 1:
        raise PackageError(f"версия пакета «{meta.version}» указана неверно: нужно целое число "
                           "от 1")
    return f"ezh-{m.group(1)}-{m.group(2)}-v{meta.version}"


def _check_meta(meta: SealMeta) -> str:
    name = package_name(meta)
    if meta.sealed_at.tzinfo is None or meta.sealed_at.utcoffset() is None:
        raise PackageError("время запечатывания указано без часового пояса")
    for label, value in (("название школы", meta.school_name), ("кто запечатал", meta.sealed_by),
                         ("программа", meta.software), ("формат выгрузки", meta.export_format)):
        if not value.strip():
            raise PackageError(f"не указано поле «{label}» сведений о пакете")
        if any(unicodedata.category(c) == "Cc" for c in value):
            raise PackageError(f"поле «{label}» содержит перевод строки или управляющий символ: "
                               f"«{value!r}»")
    for label, digest in (("отпечаток пакета предыдущего года", meta.previous_year_digest),
                          ("отпечаток прежней версии", meta.supersedes_digest)):
        if digest is not None and not DIGEST_RE.match(digest):
            raise PackageError(f"{label} «{digest}» указан неверно: нужно 64 знака 0-9a-f "
                               "(SHA-256 файла tagmanifest-sha256.txt того пакета)")
    if meta.version == 1 and meta.supersedes_digest is not None:
        raise PackageError("у версии 1 не может быть прежней версии: отпечаток прежней версии "
                           "указывают только при повторном запечатывании (версия 2 и далее)")
    if meta.version > 1 and meta.supersedes_digest is None:
        raise PackageError(f"версия {meta.version} за {meta.year} должна ссылаться на прежнюю "
                           "версию: укажите её корневой отпечаток")
    return name


# --- the payload -------------------------------------------------------------------------------


def _bad_name(rel: str) -> str | None:
    """Why a payload path cannot go into a line-based manifest that sha256sum reads, or None."""
    if any(unicodedata.category(c) == "Cc" for c in rel):
        return "содержит перевод строки или управляющий символ"
    if "\\" in rel:
        return "содержит обратную косую черту «\\» (sha256sum понял бы её как экранирование)"
    if "%" in rel:
        return "содержит знак «%» (BagIt требует записывать его как %25, и sha256sum не нашёл бы " \
               "файл)"
    if any(part != part.strip() for part in rel.split("/")):
        return "начинается или кончается пробелом"
    return None


def _scan(payload: Path) -> tuple[list[str], int]:
    """Payload-relative paths of every file, sorted, and their total size. Refuses what a
    package must not hold."""
    if not payload.is_dir():
        raise PackageError(f"папка с документами года {payload} не найдена")
    found: list[str] = []
    total = 0

    def walk(directory: Path, prefix: str) -> None:
        nonlocal total
        for entry in sorted(os.scandir(directory), key=lambda e: os.fsencode(e.name)):
            try:
                entry.name.encode("utf-8")
            except UnicodeEncodeError:
                raise PackageError(f"имя файла {os.fsencode(entry.path)!r} в папке документов не в "
                                   "кодировке UTF-8; переименуйте файл") from None
            rel = prefix + entry.name
            why = _bad_name(rel)
            if why:
                raise PackageError(f"имя файла «{rel!r}» в папке документов {why}; переименуйте "
                                   "файл")
            if entry.is_symlink():
                raise PackageError(f"{rel} в папке документов — символическая ссылка; в пакет "
                                   "кладутся только обычные файлы")
            if entry.is_dir(follow_symlinks=False):
                walk(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=False):
                found.append(rel)
                total += entry.stat(follow_symlinks=False).st_size
            else:
                raise PackageError(f"{rel} в папке документов — не обычный файл (устройство, канал "
                                   "или сокет); в пакет кладутся только обычные файлы")

    walk(payload, "")
    if not found:
        raise PackageError(f"в папке с документами года {payload} нет ни одного файла — "
                           "запечатывать нечего")
    return found, total


def _copy(source: Path, target: Path) -> tuple[int, dict[str, str]]:
    """Copy without following links; digests of the bytes written."""
    hashers = {alg: hashlib.new(alg) for alg in ALGORITHMS}
    fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fin:
        if not stat.S_ISREG(os.fstat(fin.fileno()).st_mode):
            raise PackageError(f"{source} подменён во время запечатывания: это уже не обычный "
                               "файл")
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        with open(target, "xb") as fout:
            while chunk := fin.read(CHUNK):
                fout.write(chunk)
                size += len(chunk)
                for h in hashers.values():
                    h.update(chunk)
            fout.flush()
            os.fsync(fout.fileno())
    return size, {alg: h.hexdigest() for alg, h in hashers.items()}


def _write(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _digests(data: bytes) -> dict[str, str]:
    return {alg: hashlib.new(alg, data).hexdigest() for alg in ALGORITHMS}


def _manifest(digests: Mapping[str, Mapping[str, str]], alg: str) -> bytes:
    """``sha256sum`` lines (digest, two spaces, path), sorted by the path's bytes."""
    lines = [f"{d[alg]}  {rel}\n" for rel, d in sorted(digests.items(),
                                                      key=lambda kv: kv[0].encode("utf-8"))]
    return "".join(lines).encode("utf-8")


# --- the tag files -----------------------------------------------------------------------------


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.PEM)


def _bag_info(meta: SealMeta, oxum: tuple[int, int]) -> bytes:
    fields = [
        ("Source-Organization", meta.school_name),
        ("External-Description",
         f"Запечатанный архив электронного журнала «ezh» за {meta.year} учебный год, версия "
         f"{meta.version}: документы года, заверенные электронной печатью системы (контроль "
         "целостности); порядок проверки — в README.txt"),
        ("Bagging-Date", meta.sealed_at.date().isoformat()),
        ("Bag-Software-Agent", meta.software),
        ("Payload-Oxum", f"{oxum[0]}.{oxum[1]}"),
        ("Ezh-Year", meta.year),
        ("Ezh-Seal-Version", str(meta.version)),
        ("Ezh-Sealed-At", meta.sealed_at.isoformat(timespec="seconds")),
        ("Ezh-Sealed-By", meta.sealed_by),
        ("Ezh-Previous-Year-Digest", meta.previous_year_digest or NONE_VALUE),
        ("Ezh-Supersedes-Digest", meta.supersedes_digest or NONE_VALUE),
        ("Ezh-Software", meta.software),
        ("Ezh-Export-Format", meta.export_format),
    ]
    return "".join(f"{label}: {value}\n" for label, value in fields).encode("utf-8")


def _plural(n: int, one: str, few: str, many: str) -> str:
    """«1 файл», «2 файла», «5 файлов»."""
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} {one}"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} {few}"
    return f"{n} {many}"


def _readme(meta: SealMeta, *, name: str, identity: SigningIdentity, oxum: tuple[int, int],
            has_opis: bool) -> bytes:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(FILES_DIR), autoescape=False,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    cert = identity.certificate
    offset = meta.sealed_at.strftime("%z")
    text = env.get_template("README.txt.j2").render(
        name=name, school=meta.school_name, year=meta.year, version=meta.version,
        sealed_at=f"{meta.sealed_at:%d.%m.%Y %H:%M:%S} (UTC{offset[:3]}:{offset[3:5]})",
        sealed_by=meta.sealed_by, software=meta.software, export_format=meta.export_format,
        previous=meta.previous_year_digest, supersedes=meta.supersedes_digest,
        files=_plural(oxum[1], "файл", "файла", "файлов"),
        size=_plural(oxum[0], "байт", "байта", "байт"), has_opis=has_opis, opis=OPIS,
        ca_fingerprint=package_verify.fingerprint(identity.root.public_bytes(Encoding.DER)),
        seal_valid=f"{cert.not_valid_before_utc:%d.%m.%Y} — {cert.not_valid_after_utc:%d.%m.%Y}",
    )
    return text.encode("utf-8")


def _seal(data: bytes, identity: SigningIdentity) -> bytes:
    """Detached CMS over the exact bytes (Binary: no MIME canonicalisation), signer's
    certificate and intermediates embedded; the school CA is the trust anchor from outside."""
    builder = (pkcs7.PKCS7SignatureBuilder().set_data(data)
               .add_signer(identity.certificate, identity.key, hashes.SHA256()))
    for cert in identity.chain[:-1]:
        builder = builder.add_certificate(cert)
    return builder.sign(Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature,
                                       pkcs7.PKCS7Options.Binary])


# --- building ----------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    """Make a folder's entries durable; file systems that cannot sync a folder are let be."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _fix_modes(folder: Path) -> None:
    """The folder on disk gets the modes its tar records, whatever the umask."""
    for root, dirs, files in os.walk(folder):
        os.chmod(root, 0o755)
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), folder).replace(os.sep, "/")
            os.chmod(os.path.join(root, f), tar_mode(rel, False))
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)


def _fsync_tree(folder: Path) -> None:
    for root, _dirs, _files in os.walk(folder):
        _fsync_dir(Path(root))


def _is_disk_full(exc: BaseException | None) -> bool:
    for _ in range(20):  # the exception and what it was raised from
        if exc is None:
            return False
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _disk_full(name: str, out_dir: Path, need: int) -> PackageError:
    return PackageError(f"не хватило места на диске в папке {out_dir} для пакета {name} "
                        f"(нужно около {need // (1024 * 1024) + 1} МБ): {NOT_TOUCHED}. "
                        "Освободите место и запечатайте год снова.")


def _build(bag: Path, payload: Path, rels: list[str], *, name: str, meta: SealMeta,
           identity: SigningIdentity, titles: Mapping[str, str],
           inventory: Callable[[list[InventoryItem]], bytes] | None) -> tuple[int, int]:
    """Write the whole bag under ``bag``; returns Payload-Oxum (bytes, files)."""
    data = bag / "data"
    data.mkdir(parents=True)
    payload_digests: dict[str, dict[str, str]] = {}
    items: list[InventoryItem] = []
    total = 0
    for rel in rels:
        size, digests = _copy(payload.joinpath(*rel.split("/")), data.joinpath(*rel.split("/")))
        payload_digests["data/" + rel] = digests
        items.append(InventoryItem(rel, titles.get(rel, rel.rsplit("/", 1)[-1]), size,
                                   digests["sha256"]))
        total += size
    if inventory is not None:
        try:
            opis = inventory(items)
        except Exception as exc:
            if _is_disk_full(exc):
                raise
            raise PackageError(f"не удалось составить опись пакета (data/{OPIS}): {exc}; "
                               f"{NOT_TOUCHED}") from exc
        if not isinstance(opis, bytes | bytearray) or not opis:
            raise PackageError(f"опись пакета (data/{OPIS}) получилась пустой; {NOT_TOUCHED}")
        _write(data / OPIS, bytes(opis))
        payload_digests["data/" + OPIS] = _digests(bytes(opis))
        total += len(opis)
    oxum = (total, len(payload_digests))

    tag: dict[str, bytes] = {
        "bagit.txt": BAGIT_TXT,
        "bag-info.txt": _bag_info(meta, oxum),
        "README.txt": _readme(meta, name=name, identity=identity, oxum=oxum,
                              has_opis=inventory is not None),
        "verify.sh": (FILES_DIR / "verify.sh").read_bytes(),
        "verify.py": Path(package_verify.__file__).read_bytes(),
        CA_FILE: _pem(identity.root),
        SEAL_CERT_FILE: _pem(identity.certificate) + b"".join(_pem(c)
                                                               for c in identity.chain[:-1]),
    }
    for alg in ALGORITHMS:
        tag[f"manifest-{alg}.txt"] = _manifest(payload_digests, alg)
    for file_name, content in tag.items():
        _write(bag / file_name, content)
    tag_digests = {file_name: _digests(content) for file_name, content in tag.items()}
    for alg in ALGORITHMS:
        _write(bag / f"tagmanifest-{alg}.txt", _manifest(tag_digests, alg))
    _write(bag / SIGNATURE, _seal((bag / ROOT_FILE).read_bytes(), identity))
    _fix_modes(bag)
    _fsync_tree(bag)
    return oxum


def _self_check(path: Path, ca_pem: bytes, name: str) -> None:
    # a tar is unpacked beside it, on the disk whose room was counted, not in /tmp
    verdict = verify_package(path, ca_pem=ca_pem, workdir=path.parent)
    if not verdict.ok:
        shown = verdict.problems[:10]
        more = len(verdict.problems) - len(shown)
        raise PackageError(f"собранный пакет {name} не прошёл самопроверку ({path.name}): "
                           f"{'; '.join(shown)}{f'; и ещё ошибок: {more}' if more else ''}; "
                           f"{NOT_TOUCHED}")


def _bagit_check(bag: Path, name: str) -> None:
    try:
        bagit.Bag(str(bag)).validate(processes=1)
    except bagit.BagError as exc:
        details = getattr(exc, "details", None) or []
        raise PackageError(f"собранный пакет {name} не прошёл проверку по стандарту BagIt "
                           f"(библиотека bagit): {exc} {'; '.join(map(str, details))}; "
                           f"{NOT_TOUCHED}") from exc


def _place(partial: Path, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Move the verified folder and tar into place, never over anything that exists."""
    folder, tar = out_dir / name, out_dir / f"{name}.tar"
    for existing in (folder, tar):
        if existing.exists() or existing.is_symlink():
            raise PackageError(f"пакет {existing.name} уже есть в папке {out_dir} (появился во "
                               f"время запечатывания); {NOT_TOUCHED}")
    try:
        os.link(partial / f"{name}.tar", tar)  # fails if the name exists: never overwrites
    except FileExistsError:
        raise PackageError(f"пакет {tar.name} уже есть в папке {out_dir}; {NOT_TOUCHED}") from None
    except OSError:
        os.rename(partial / f"{name}.tar", tar)  # a file system without hard links (exFAT)
    try:
        if folder.exists():
            raise PackageError(f"пакет {name} уже есть в папке {out_dir}; {NOT_TOUCHED}")
        os.rename(partial / name, folder)
    except BaseException:
        tar.unlink(missing_ok=True)
        raise
    _fsync_dir(out_dir)
    return folder, tar


def build_package(payload: Path, out_dir: Path, *, meta: SealMeta, identity: SigningIdentity,
                  titles: Mapping[str, str] | None = None,
                  inventory: Callable[[list[InventoryItem]], bytes] | None = None) -> SealResult:
    """Seal ``payload`` (left untouched) as ``out_dir/<name>/`` and ``out_dir/<name>.tar``.

    ``titles`` maps payload-relative paths to Russian titles for the опись; ``inventory``
    renders the опись (PDF/A) from the items, stored as ``data/opis.pdf``. Raises PackageError
    (Russian) and leaves nothing behind when anything fails."""
    payload, out_dir = Path(payload), Path(out_dir)
    name = _check_meta(meta)
    rels, size = _scan(payload)
    if inventory is not None and OPIS in rels:
        raise PackageError(f"в папке документов уже есть файл {OPIS}, а опись пакета ложится под "
                           "этим же именем; переименуйте файл")
    if out_dir.resolve().is_relative_to(payload.resolve()):
        raise PackageError(f"папка для пакетов {out_dir} лежит внутри папки документов {payload}: "
                           "пакет попал бы сам в себя; выберите другую папку")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PackageError(f"папку для пакетов {out_dir} не удалось создать: {exc.strerror}; "
                           f"{NOT_TOUCHED}") from exc
    for existing in (out_dir / name, out_dir / f"{name}.tar"):
        if existing.exists() or existing.is_symlink():
            raise PackageError(f"пакет {existing.name} уже есть в папке {out_dir}: запечатанный "
                               "пакет не перезаписывается. Чтобы исправить год, откройте его и "
                               f"запечатайте новой версией (v{meta.version + 1}); {NOT_TOUCHED}")
    # the folder, the tar and the tar unpacked by the self-check, plus tag files and the опись
    need = 3 * size + 4 * 1024 * 1024
    if shutil.disk_usage(out_dir).free < need:
        raise _disk_full(name, out_dir, need)

    ca_pem = _pem(identity.root)
    partial = out_dir / f".{name}.partial-{secrets.token_hex(4)}"
    try:
        partial.mkdir()
        bag = partial / name
        oxum = _build(bag, payload, rels, name=name, meta=meta, identity=identity,
                      titles=titles or {}, inventory=inventory)
        _self_check(bag, ca_pem, name)
        _bagit_check(bag, name)
        tar = partial / f"{name}.tar"
        with open(tar, "xb") as fh:
            for _entry, chunk in tar_chunks(bag, int(meta.sealed_at.timestamp())):
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tar, 0o644)
        _self_check(tar, ca_pem, name)
        root_digest = hashlib.sha256((bag / ROOT_FILE).read_bytes()).hexdigest()
        folder, tar = _place(partial, out_dir, name)
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if _is_disk_full(exc):
            raise _disk_full(name, out_dir, need) from exc
        if isinstance(exc, PackageError) or not isinstance(exc, Exception):
            raise
        if isinstance(exc, OSError):
            raise PackageError(f"не удалось записать пакет {name} в папку {out_dir}: "
                               f"{exc.strerror or exc} ({exc.filename or ''}); "
                               f"{NOT_TOUCHED}") from exc
        raise PackageError(f"сбой при сборке пакета {name}: {exc}; {NOT_TOUCHED}") from exc
    shutil.rmtree(partial, ignore_errors=True)
    return SealResult(folder=folder, tar=tar, root_digest=root_digest, files=oxum[1],
                      bytes=oxum[0])

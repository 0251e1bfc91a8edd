"""Checks a sealed year package of the journal «ezh»: a BagIt folder (RFC 8493) or its .tar.

This file is copied verbatim into every package as ``verify.py``. It therefore imports nothing
but the Python standard library and calls nothing but ``openssl``: in 25 years it must run where
the journal, its libraries and its authors are long gone. Keep it that way (Python 3.7+).

The seal of the package is «электронная печать системы (контроль целостности)» — a detached CMS
signature of ``tagmanifest-sha256.txt``; the root digest (SHA-256 of that file) is printed on the
paper passport that the head signs, so paper and files vouch for each other.

Usage: ``python3 verify.py [ПАКЕТ ...] [--ca school-ca.pem]``; exit 0 when all is well, else 1."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ALGORITHMS = ("sha256", "sha512")
ALGORITHM_NAMES = {"sha256": "SHA-256", "sha512": "SHA-512"}
HEX_LENGTH = {"sha256": 64, "sha512": 128}
SIGNATURE = "tagmanifest-sha256.txt.p7s"
ROOT_FILE = "tagmanifest-sha256.txt"
CA_FILE = "school-ca.pem"
SEAL_CERT_FILE = "seal-certificate.pem"
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
# every tag file a package carries; the tag manifests must list each of them
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
             "README.txt", "verify.sh", "verify.py", CA_FILE, SEAL_CERT_FILE)
# files outside data/ that no manifest lists: the tag manifests themselves and the seal
UNLISTED = ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt", SIGNATURE)
EXECUTABLE = ("verify.sh", "verify.py")
NONE_VALUE = "нет"  # bag-info value of an absent digest
REQUIRED_INFO = ("Source-Organization", "Bagging-Date", "Payload-Oxum", "Ezh-Year",
                 "Ezh-Seal-Version", "Ezh-Sealed-At", "Ezh-Sealed-By",
                 "Ezh-Previous-Year-Digest", "Ezh-Supersedes-Digest", "Ezh-Software",
                 "Ezh-Export-Format")
YEAR_RE = re.compile(r"^(\d{4})/(\d{4})$")
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
# the sha256sum format: digest, a space, then a space (text) or «*» (binary), then the path
MANIFEST_LINE_RE = re.compile(r"^([0-9A-Fa-f]+) [ *](.+)$")
CHUNK = 1024 * 1024

BLOCK = 512
RECORD = 20 * BLOCK  # tar's traditional record: the archive's length is a multiple of it


@dataclass
class Verdict:
    path: str
    problems: list[str] = field(default_factory=list)
    root_digest: str | None = None
    year: str | None = None
    version: int | None = None
    previous_year_digest: str | None = None
    supersedes_digest: str | None = None
    ca_fingerprint: str | None = None
    school: str | None = None
    sealed_at: str | None = None
    sealed_by: str | None = None
    name: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


# --- the canonical tar -------------------------------------------------------------------------
# The package's .tar is written by this code (not by ``tarfile``) so that its bytes depend only on
# the package's files and the sealing time: the verifier rebuilds it from what it extracted and
# compares byte for byte, so no byte of the tar (padding, headers, the end) changes unnoticed.


def tar_mode(rel: str, is_dir: bool) -> int:
    """0755 for folders and the two verification scripts, 0644 for every other file."""
    return 0o755 if is_dir or rel in EXECUTABLE else 0o644


def _octal(value: int, width: int) -> bytes:
    return oct(value)[2:].rjust(width - 1, "0").encode("ascii") + b"\0"


def _pax_record(key: str, value: str) -> bytes:
    body = f" {key}={value}\n".encode()
    length = len(body) + len(str(len(body)))
    if len(str(length)) != len(str(len(body))):
        length = len(body) + len(str(length))
    return str(length).encode("ascii") + body


def _ustar_block(name: bytes, size: int, mtime: int, mode: int, kind: bytes) -> bytes:
    block = bytearray(BLOCK)

    def put(offset: int, value: bytes) -> None:
        block[offset:offset + len(value)] = value

    put(0, name[:100])
    put(100, _octal(mode, 8))
    put(108, _octal(0, 8))  # uid
    put(116, _octal(0, 8))  # gid
    put(124, _octal(size, 12))
    put(136, _octal(mtime, 12))
    put(148, b" " * 8)  # the checksum counts its own field as spaces
    put(156, kind)
    put(257, b"ustar\x0000")
    put(329, _octal(0, 8))  # devmajor
    put(337, _octal(0, 8))  # devminor
    put(148, _octal(sum(block), 7) + b" ")
    return bytes(block)


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


def tar_header(name: str, size: int, mtime: int, mode: int, is_dir: bool) -> bytes:
    """The header block(s) of one entry: ustar, preceded by a pax header when the name is not
    plain ASCII of at most 100 bytes (pax names are UTF-8 everywhere) or the size needs it."""
    raw = name.encode("utf-8")
    kind = b"5" if is_dir else b"0"
    records = b""
    if len(raw) > 100 or not raw.isascii():
        records += _pax_record("path", name)
        raw = name.encode("ascii", "replace")[-100:]
    if size >= 8 ** 11:
        records += _pax_record("size", str(size))
    ustar = _ustar_block(raw, size if size < 8 ** 11 else 0, mtime, mode, kind)
    if not records:
        return ustar
    pax = _ustar_block(b"././@PaxHeader", len(records), mtime, 0o644, b"x")
    return pax + records + _padding(len(records)) + ustar


def tar_entries(folder: Path) -> list[tuple[str, Path, bool]]:
    """(name in the tar, path on disk, is a folder) of ``folder`` and everything in it, sorted
    by the bytes of each name so that every machine gets the same order."""
    entries = [(folder.name + "/", folder, True)]

    def walk(directory: Path, prefix: str) -> None:
        for child in sorted(os.scandir(directory), key=lambda e: os.fsencode(e.name)):
            rel = prefix + child.name
            if child.is_dir(follow_symlinks=False):
                entries.append((rel + "/", Path(child.path), True))
                walk(Path(child.path), rel + "/")
            elif child.is_file(follow_symlinks=False):
                entries.append((rel, Path(child.path), False))
            else:
                raise ValueError(f"{rel}: не обычный файл и не папка")

    walk(folder, folder.name + "/")
    return entries


def tar_chunks(folder: Path, mtime: int) -> Iterator[tuple[str, bytes]]:
    """The canonical tar of ``folder`` as (entry name, bytes) pieces, in order."""
    top = folder.name + "/"
    for name, path, is_dir in tar_entries(folder):
        rel = name[len(top):].rstrip("/")
        size = 0 if is_dir else path.stat().st_size
        yield name, tar_header(name, size, mtime, tar_mode(rel, is_dir), is_dir)
        if is_dir:
            continue
        written = 0
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                yield name, chunk
        if written != size:
            raise OSError(f"файл {name} изменился во время упаковки")
        yield name, _padding(size)
    end = 2 * BLOCK
    yield "", b"\0" * (end + (-end % RECORD))


# --- reading the package -----------------------------------------------------------------------


def pem_certificates(data: bytes) -> list[bytes]:
    """DER of each certificate in a PEM text."""
    found = re.findall(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", data,
                       re.DOTALL)
    return [base64.b64decode(b"".join(block.split()), validate=True) for block in found]


def fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate as ``openssl x509 -fingerprint -sha256`` prints it."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def _first_certificate(data: bytes | None) -> bytes | None:
    try:
        found = pem_certificates(data) if data else []
    except (binascii.Error, ValueError):
        return None
    return found[0] if found else None


def _file_digests(path: Path) -> dict[str, str]:
    hashers = {alg: hashlib.new(alg) for alg in ALGORITHMS}
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            for h in hashers.values():
                h.update(chunk)
    return {alg: h.hexdigest() for alg, h in hashers.items()}


def _bad_path(rel: str) -> str | None:
    """Why a path in a manifest is not acceptable, or None."""
    if rel.startswith("/") or "\\" in rel:
        return f"путь {rel} не относительный или содержит «\\»"
    if any(part in ("", ".", "..") for part in rel.split("/")):
        return f"путь {rel} содержит пустую часть, «.» или «..»"
    if any(ord(c) < 32 or ord(c) == 127 for c in rel):
        return "путь содержит управляющие символы"
    return None


@dataclass
class _Entry:
    digest: str
    line: int


class _Check:
    """One package folder's checks; each adds a Russian problem naming the file or line."""

    def __init__(self, folder: Path, verdict: Verdict, ca_pem: bytes | None,
                 label: str | None = None) -> None:
        self.folder = folder
        self.label = label or f"папке {folder}"  # where the package was found, for messages
        self.verdict = verdict
        self.ca_pem = ca_pem
        self.info: dict[str, str] = {}

    def problem(self, text: str) -> None:
        self.verdict.problems.append(text)

    def run(self) -> None:
        folder = self.folder
        if not folder.is_dir():
            self.problem(f"{folder} — не папка пакета и не файл .tar")
            return
        missing = [n for n in ("bagit.txt", ROOT_FILE) if not (folder / n).is_file()]
        if missing:
            self.problem(f"в {self.label} нет {' и '.join(missing)} — это не пакет "
                         "запечатанного года (или он повреждён)")
            return
        self.verdict.root_digest = hashlib.sha256((folder / ROOT_FILE).read_bytes()).hexdigest()
        self.check_bagit_txt()
        self.read_bag_info()
        tag_manifests = self.read_manifests("tagmanifest")
        for name, entries in tag_manifests.items():
            for required in TAG_FILES:
                if required not in entries:
                    self.problem(f"файл {required} не указан в {name}")
        self.compare(tag_manifests, self.tag_files_on_disk(), where=" в пакете")
        payload = self.payload_on_disk()
        self.compare(self.read_manifests("manifest"), payload, where="")
        self.check_oxum(payload)
        self.check_seal()

    # bagit.txt and bag-info.txt

    def check_bagit_txt(self) -> None:
        if (self.folder / "bagit.txt").read_bytes() != BAGIT_TXT:
            self.problem("файл bagit.txt испорчен: ожидались две строки «BagIt-Version: 1.0» и "
                         "«Tag-File-Character-Encoding: UTF-8»")

    def read_bag_info(self) -> None:
        path = self.folder / "bag-info.txt"
        if not path.is_file():
            self.problem("файл bag-info.txt отсутствует")
            return
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            self.problem("файл bag-info.txt не в кодировке UTF-8")
            return
        info: dict[str, str] = {}
        label = None
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for number, line in enumerate(lines, 1):
            if line[:1] in (" ", "\t") and label is not None:
                info[label] += " " + line.strip()  # a folded long value (RFC 8493, 2.2.2)
                continue
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                self.problem(f"строка {number} bag-info.txt испорчена: ожидалось «Поле: значение»")
                label = None
                continue
            if name in info:
                self.problem(f"строка {number} bag-info.txt: поле {name} повторяется")
            label = name
            info[name] = value.strip()
        self.info = info
        for name in REQUIRED_INFO:
            if name not in info:
                self.problem(f"в bag-info.txt нет поля {name}")
        verdict = self.verdict
        verdict.school = info.get("Source-Organization")
        verdict.sealed_by = info.get("Ezh-Sealed-By")
        year = info.get("Ezh-Year")
        if year is not None:
            m = YEAR_RE.match(year)
            if m and int(m.group(2)) == int(m.group(1)) + 1:
                verdict.year = year
            else:
                self.problem(f"bag-info.txt: Ezh-Year «{year}» — не учебный год вида 2025/2026")
        version = info.get("Ezh-Seal-Version")
        if version is not None:
            if version.isdigit() and int(version) >= 1:
                verdict.version = int(version)
            else:
                self.problem(f"bag-info.txt: Ezh-Seal-Version «{version}» — не номер версии")
        sealed_at = info.get("Ezh-Sealed-At")
        if sealed_at is not None:
            if self.sealed_epoch() is None:
                self.problem(f"bag-info.txt: Ezh-Sealed-At «{sealed_at}» — не дата и время с "
                             "часовым поясом (ГГГГ-ММ-ДДTЧЧ:ММ:СС+03:00)")
            else:
                verdict.sealed_at = sealed_at
        for label_name, attr in (("Ezh-Previous-Year-Digest", "previous_year_digest"),
                                 ("Ezh-Supersedes-Digest", "supersedes_digest")):
            value = info.get(label_name)
            if value is None or value == NONE_VALUE:
                continue
            if DIGEST_RE.match(value):
                setattr(verdict, attr, value)
            else:
                self.problem(f"bag-info.txt: {label_name} «{value}» — не отпечаток SHA-256 "
                             f"(64 знака 0-9a-f) и не «{NONE_VALUE}»")

    def sealed_epoch(self) -> int | None:
        value = self.info.get("Ezh-Sealed-At")
        try:
            moment = datetime.fromisoformat(value) if value else None
        except ValueError:
            return None
        if moment is None or moment.tzinfo is None:
            return None
        return int(moment.timestamp())

    # what is on disk

    def payload_on_disk(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        data = self.folder / "data"
        if not data.is_dir() or data.is_symlink():
            self.problem("в пакете нет папки data/ с документами")
            return files
        self._walk(data, "data/", files)
        return files

    def tag_files_on_disk(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for entry in sorted(os.scandir(self.folder), key=lambda e: e.name):
            if entry.name == "data" or entry.name in UNLISTED:
                continue
            if entry.is_dir(follow_symlinks=False):
                self._walk(Path(entry.path), entry.name + "/", files)
            else:
                self._add(entry, entry.name, files)
        return files

    def _walk(self, directory: Path, prefix: str, files: dict[str, Path]) -> None:
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                self._walk(Path(entry.path), rel + "/", files)
            else:
                self._add(entry, rel, files)

    def _add(self, entry: os.DirEntry, rel: str, files: dict[str, Path]) -> None:
        if entry.is_symlink():
            self.problem(f"{rel} — символическая ссылка; в пакете их быть не должно")
        elif not entry.is_file(follow_symlinks=False):
            self.problem(f"{rel} — не обычный файл (устройство или канал); в пакете их быть "
                         "не должно")
        else:
            files[rel] = Path(entry.path)

    # manifests

    def read_manifests(self, kind: str) -> dict[str, dict[str, _Entry]]:
        """Both manifests (``kind`` "manifest") or both tag manifests, by file name."""
        found = {}
        for alg in ALGORITHMS:
            name = f"{kind}-{alg}.txt"
            entries = self.read_manifest(name, alg, payload=kind == "manifest")
            if entries is not None:
                found[name] = entries
        return found

    def read_manifest(self, name: str, alg: str, *, payload: bool) -> dict[str, _Entry] | None:
        path = self.folder / name
        if not path.is_file():
            self.problem(f"файл {name} отсутствует")
            return None
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            self.problem(f"файл {name} не в кодировке UTF-8")
            return None
        entries: dict[str, _Entry] = {}
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for number, line in enumerate(lines, 1):
            m = MANIFEST_LINE_RE.match(line)
            if "\r" in line:
                why = "в строке символ возврата каретки (файл сохраняли в Блокноте?)"
            elif not m:
                why = "ожидалось «отпечаток, два пробела, путь»"
            elif len(m.group(1)) != HEX_LENGTH[alg]:
                why = f"отпечаток {ALGORITHM_NAMES[alg]} должен иметь {HEX_LENGTH[alg]} знаков"
            else:
                rel = m.group(2)
                why = _bad_path(rel)
                if why is None and payload != rel.startswith("data/"):
                    why = (f"путь {rel} не в папке data/" if payload
                           else f"путь {rel} — не служебный файл")
                if why is None and rel in UNLISTED:
                    why = f"файл {rel} не может быть указан в описи"
                if why is None and rel in entries:
                    why = f"путь {rel} уже указан в строке {entries[rel].line}"
            if why or m is None:
                self.problem(f"строка {number} {name} испорчена: {why}")
                continue
            entries[m.group(2)] = _Entry(m.group(1).lower(), number)
        return entries

    def compare(self, manifests: dict[str, dict[str, _Entry]], on_disk: dict[str, Path], *,
                where: str) -> None:
        """Each file on disk against each manifest: changed, missing, not listed."""
        disk = dict(on_disk)
        # a name that differs only in Unicode normalization (a copy through macOS) is the same
        listed = {rel for entries in manifests.values() for rel in entries}
        by_nfc = {unicodedata.normalize("NFC", rel): rel for rel in listed}
        for rel in list(disk):
            nfc = unicodedata.normalize("NFC", rel)
            if rel not in listed and nfc in by_nfc and by_nfc[nfc] not in disk:
                disk[by_nfc[nfc]] = disk.pop(rel)
        missing: dict[str, list[str]] = {}
        changed: dict[str, list[str]] = {}
        unlisted: dict[str, list[str]] = {}
        digests: dict[str, dict[str, str]] = {}
        for name, entries in manifests.items():
            alg = name[:-4].rsplit("-", 1)[1]
            for rel, entry in entries.items():
                if rel not in disk:
                    missing.setdefault(rel, []).append(f"{name}, строка {entry.line}")
                    continue
                if rel not in digests:
                    digests[rel] = _file_digests(disk[rel])
                if digests[rel][alg] != entry.digest:
                    changed.setdefault(rel, []).append(
                        f"{ALGORITHM_NAMES[alg]} не совпадает: {name}, строка {entry.line}")
            for rel in disk:
                if rel not in entries:
                    unlisted.setdefault(rel, []).append(name)
        for rel, said in sorted(changed.items()):
            self.problem(f"файл {rel} изменён ({'; '.join(said)})")
        for rel, said in sorted(missing.items()):
            self.problem(f"файл {rel} отсутствует (указан в {'; '.join(said)})")
        for rel, said in sorted(unlisted.items()):
            which = f"описи {said[0]}" if len(said) == 1 else f"описях {' и '.join(said)}"
            self.problem(f"лишний файл {rel}{where} не указан в {which}")

    def check_oxum(self, payload: dict[str, Path]) -> None:
        oxum = self.info.get("Payload-Oxum")
        if oxum is None:
            return
        octets, dot, count = oxum.partition(".")
        if not (dot and octets.isdigit() and count.isdigit()):
            self.problem(f"bag-info.txt: Payload-Oxum «{oxum}» — ожидалось «байты.файлы»")
            return
        size = sum(p.stat().st_size for p in payload.values())
        if (int(octets), int(count)) != (size, len(payload)):
            self.problem(f"bag-info.txt: Payload-Oxum {oxum} (байт: {octets}, файлов: {count}) "
                         f"не совпадает с папкой data/ (байт: {size}, файлов: {len(payload)})")

    # the seal

    def check_seal(self) -> None:
        folder = self.folder
        ca_path = folder / CA_FILE
        packaged = ca_path.read_bytes() if ca_path.is_file() else None
        packaged_der = _first_certificate(packaged)
        if packaged is None:
            self.problem(f"файл {CA_FILE} (корневой сертификат школы) отсутствует")
        elif packaged_der is None:
            self.problem(f"файл {CA_FILE} испорчен: в нём нет сертификата")
        ca_pem = self.ca_pem if self.ca_pem is not None else packaged
        expected = _first_certificate(ca_pem)
        if self.ca_pem is not None and expected is None:
            self.problem("указанный корневой сертификат школы испорчен: в нём нет сертификата")
        if expected is not None:
            self.verdict.ca_fingerprint = fingerprint(expected)
        if self.ca_pem is not None and expected and packaged_der and packaged_der != expected:
            self.problem(f"файл {CA_FILE} — не тот корневой сертификат школы, что ожидался: "
                         f"отпечаток в пакете {fingerprint(packaged_der)}, ожидался "
                         f"{fingerprint(expected)}")
        if not (folder / SIGNATURE).is_file():
            self.problem(f"файл {SIGNATURE} (электронная печать системы) отсутствует")
            return
        if expected is None:
            return
        openssl = shutil.which("openssl")
        if openssl is None:
            self.problem("программа openssl не найдена: электронная печать системы не проверена; "
                         "установите openssl и повторите проверку")
            return
        with tempfile.TemporaryDirectory(prefix="ezh-verify-") as tmp:
            ca_file = Path(tmp) / "ca.pem"
            ca_file.write_bytes(ca_pem or b"")
            signer = Path(tmp) / "signer.pem"
            base = [openssl, "cms", "-verify", "-binary", "-inform", "DER",
                    "-in", str(folder / SIGNATURE), "-content", str(folder / ROOT_FILE),
                    "-out", os.devnull]
            # first the digest and the signature alone, whoever made them
            rc, said = _run(base + ["-noverify", "-signer", str(signer)])
            if rc != 0:
                self.problem(f"электронная печать {SIGNATURE} не сходится с {ROOT_FILE} "
                             f"(openssl: {said})")
                return
            # then whose: the certificate must chain to the school CA at the sealing time
            epoch = self.sealed_epoch()
            when = ["-attime", str(epoch)] if epoch is not None else ["-no_check_time"]
            rc, said = _run(base + ["-CAfile", str(ca_file), "-purpose", "any"] + when)
            if rc != 0:
                if "expired" in said or "not yet valid" in said:
                    self.problem(f"сертификат электронной печати {SIGNATURE} не действовал в "
                                 f"момент запечатывания {self.info.get('Ezh-Sealed-At')} "
                                 f"(openssl: {said})")
                else:
                    whose = (f"корневым сертификатом {CA_FILE}" if self.ca_pem is None
                             else "ожидаемым корневым сертификатом школы")
                    self.problem(f"электронная печать {SIGNATURE} сделана сертификатом, который "
                                 f"не выдан {whose} (openssl: {said})")
            seal_cert = folder / SEAL_CERT_FILE
            used = _first_certificate(signer.read_bytes() if signer.is_file() else None)
            given = _first_certificate(seal_cert.read_bytes() if seal_cert.is_file() else None)
            if given is None:
                self.problem(f"файл {SEAL_CERT_FILE} отсутствует или испорчен")
            elif used != given:
                self.problem(f"файл {SEAL_CERT_FILE} не совпадает с сертификатом, которым сделана "
                             f"печать {SIGNATURE}")


def _run(args: list[str]) -> tuple[int, str]:
    """Return code and what openssl said about a failure, in a line."""
    try:
        done = subprocess.run(args, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    said = []
    for line in done.stderr.decode("utf-8", "replace").splitlines():
        parts = line.strip().split(":")
        if len(parts) >= 9 and parts[1] == "error":
            # pid:error:code:library:function:reason:file:line:details
            said.append(":".join(parts[8:]).strip() or parts[5])
        elif line.strip():
            said.append(line.strip())
    return done.returncode, "; ".join(dict.fromkeys(said))


# --- the tar -----------------------------------------------------------------------------------


def _extract(tar_path: Path, into: Path, verdict: Verdict) -> tuple[Path, int] | None:
    """Extract the package safely: only plain files and folders under one top folder, no
    absolute paths, no «..», no links or devices. Returns the folder and the entries' mtime."""
    name = tar_path.name
    try:
        with tarfile.open(tar_path, "r:") as tar:
            members = tar.getmembers()
            tops = set()
            seen = set()
            for m in members:
                parts = m.name.rstrip("/").split("/")
                if m.name.startswith("/") or "\\" in m.name or any(
                        p in ("", ".", "..") for p in parts):
                    verdict.problems.append(f"в архиве {name} недопустимый путь {m.name} "
                                            "(абсолютный, с «..» или «\\»); архив не распакован")
                    return None
                if not (m.isreg() or m.isdir()):
                    verdict.problems.append(f"в архиве {name} запись {m.name} — ссылка или "
                                            "устройство; таких в пакете быть не должно; архив не "
                                            "распакован")
                    return None
                if "/".join(parts) in seen:
                    verdict.problems.append(f"в архиве {name} запись {m.name} повторяется; архив "
                                            "не распакован")
                    return None
                seen.add("/".join(parts))
                tops.add(parts[0])
            if len(tops) != 1:
                verdict.problems.append(f"в архиве {name} должна быть ровно одна папка пакета, а "
                                        f"там: {', '.join(sorted(tops)) or 'пусто'}")
                return None
            for m in members:
                target = into.joinpath(*m.name.rstrip("/").split("/"))
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(m)
                if source is None:
                    raise tarfile.TarError(f"запись {m.name} не читается")
                with source, open(target, "xb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
            mtime = int(members[0].mtime)
    except (tarfile.TarError, EOFError, OSError) as exc:
        verdict.problems.append(f"архив {name} повреждён или обрезан: {exc}")
        return None
    return into / tops.pop(), mtime


def _compare_tar(tar_path: Path, folder: Path, mtime: int, verdict: Verdict) -> None:
    """Every byte of the tar must be what the canonical writer makes of the extracted files."""
    name = tar_path.name
    offset = 0
    try:
        with open(tar_path, "rb") as fh:
            for entry, chunk in tar_chunks(folder, mtime):
                got = fh.read(len(chunk))
                if got != chunk:
                    where = f"запись {entry}" if entry else "конец архива"
                    if len(got) < len(chunk) and got == chunk[:len(got)]:
                        verdict.problems.append(f"архив {name} обрезан: обрывается на байте "
                                                f"{offset + len(got)} ({where})")
                    else:
                        at = next(i for i in range(len(got)) if got[i] != chunk[i])
                        verdict.problems.append(f"архив {name} изменён: байт {offset + at} не "
                                                f"совпадает с эталонной упаковкой ({where})")
                    return
                offset += len(chunk)
            if fh.read(1):
                verdict.problems.append(f"в архиве {name} лишние данные после конца архива (с "
                                        f"байта {offset})")
    except (OSError, ValueError) as exc:
        verdict.problems.append(f"архив {name} не удалось сверить: {exc}")


# --- the public functions ----------------------------------------------------------------------


def verify_package(path: Path | str, *, ca_pem: bytes | None = None,
                   workdir: Path | str | None = None) -> Verdict:
    """Check a package folder or its .tar. ``ca_pem`` is the school CA expected (from the
    school's own copy); without it the package's ``school-ca.pem`` is used, which proves only
    that the package is consistent — its fingerprint must then be compared with the paper.
    A tar is unpacked into a temporary folder under ``workdir`` (default: the system's)."""
    path = Path(path)
    verdict = Verdict(path=str(path))
    if path.is_file():
        if path.suffix != ".tar":
            verdict.problems.append(f"{path} — не папка пакета и не файл .tar")
            return verdict
        with tempfile.TemporaryDirectory(prefix="ezh-verify-", dir=workdir) as tmp:
            extracted = _extract(path, Path(tmp), verdict)
            if extracted is None:
                return verdict
            folder, mtime = extracted
            check = _Check(folder, verdict, ca_pem, label=f"архиве {path.name}")
            check.run()
            verdict.name = folder.name
            epoch = check.sealed_epoch()
            _compare_tar(path, folder, epoch if epoch is not None else mtime, verdict)
        return verdict
    if not path.is_dir():
        verdict.problems.append(f"пакет {path} не найден")
        return verdict
    _Check(path, verdict, ca_pem).run()
    verdict.name = path.name
    return verdict


def _academic_start(year: str | None) -> int | None:
    m = YEAR_RE.match(year or "")
    return int(m.group(1)) if m else None


def check_chain(verdicts: Iterable[Verdict]) -> list[str]:
    """Problems in the chain of seals (empty when it holds): the versions of a year follow each
    other by ``supersedes_digest``, and every seal of a year points by ``previous_year_digest``
    at a seal of the year before, when that year is among ``verdicts``."""
    problems: list[str] = []
    by_year: dict[int, dict[int, Verdict]] = {}
    for v in verdicts:
        start = _academic_start(v.year)
        if start is None or v.version is None or v.root_digest is None:
            problems.append(f"пакет {v.path}: не удалось прочитать год, версию или корневой "
                            "отпечаток — в цепочке не проверен")
            continue
        versions = by_year.setdefault(start, {})
        if v.version in versions:
            problems.append(f"за {v.year} дважды версия {v.version}: "
                            f"{versions[v.version].path} и {v.path}")
            continue
        versions[v.version] = v
    years = sorted(by_year)
    for start in years:
        versions = by_year[start]
        for number in sorted(versions):
            v = versions[number]
            label = f"{v.path} ({v.year}, версия {number})"
            if number == 1:
                if v.supersedes_digest is not None:
                    problems.append(f"{label} ссылается на предыдущую версию, которой у первой "
                                    "версии быть не может")
                continue
            before = versions.get(number - 1)
            if before is None:
                problems.append(f"за {v.year} нет версии {number - 1}, а {label} её заменяет")
            elif v.supersedes_digest != before.root_digest:
                problems.append(f"{label} заменяет версию с отпечатком "
                                f"{v.supersedes_digest or NONE_VALUE}, а у версии {number - 1} "
                                f"({before.path}) отпечаток {before.root_digest}")
        previous = by_year.get(start - 1)
        if previous is None:
            if start != years[0]:
                problems.append(f"нет пакета за {start - 1}/{start} — цепочка годов прерывается "
                                f"перед {versions[min(versions)].year}")
            continue
        known = {p.root_digest for p in previous.values()}
        for number in sorted(versions):
            v = versions[number]
            label = f"{v.path} ({v.year}, версия {number})"
            if v.previous_year_digest is None:
                problems.append(f"{label} не ссылается на предыдущий год, хотя пакет за "
                                f"{start - 1}/{start} есть")
            elif v.previous_year_digest not in known:
                problems.append(f"{label} ссылается на предыдущий год с отпечатком "
                                f"{v.previous_year_digest}, но ни у одной версии за "
                                f"{start - 1}/{start} "
                                f"({', '.join(p.path for p in previous.values())}) такого "
                                "отпечатка нет")
    return problems


def report(v: Verdict) -> str:
    """The verdict as a Russian text for a person."""
    lines = [f"Пакет: {v.path}"]
    if v.school:
        lines.append(f"Школа: {v.school}")
    if v.year:
        lines.append(f"Учебный год: {v.year}, версия {v.version or '?'}")
    if v.sealed_at:
        lines.append(f"Запечатан: {v.sealed_at}, кем: {v.sealed_by or '?'}")
    if v.year:
        lines.append(f"Предыдущий год (отпечаток): {v.previous_year_digest or NONE_VALUE}")
        lines.append(f"Заменяет версию (отпечаток): {v.supersedes_digest or NONE_VALUE}")
    if v.root_digest:
        lines.append(f"Корневой отпечаток пакета (SHA-256 файла {ROOT_FILE}):")
        lines.append(f"    {v.root_digest}")
        lines.append("    — должен совпасть с напечатанным в бумажном паспорте пакета.")
    if v.ca_fingerprint:
        lines.append("Отпечаток корневого сертификата школы (SHA-256):")
        lines.append(f"    {v.ca_fingerprint}")
        lines.append("    — должен совпасть с напечатанным в бумажном паспорте пакета.")
    if v.ok:
        lines.append("ИТОГ: пакет цел — все файлы на месте, отпечатки и электронная печать "
                     "системы сходятся.")
    else:
        lines.append(f"ИТОГ: ПАКЕТ НЕ ПРОШЁЛ ПРОВЕРКУ, ошибок: {len(v.problems)}")
        lines.extend(f"  - {p}" for p in v.problems)
    return "\n".join(lines)


USAGE = """Проверка запечатанного пакета учебного года (электронный журнал «ezh»).

Использование: python3 verify.py [ПАКЕТ ...] [--ca ФАЙЛ]

  ПАКЕТ      папка пакета или его файл .tar; по умолчанию — папка, где лежит
             verify.py. Несколько пакетов проверяются и как цепочка годов и версий.
  --ca ФАЙЛ  ожидаемый корневой сертификат школы (PEM), хранимый отдельно от пакета.

Код выхода: 0 — всё сошлось, 1 — найдены ошибки (они перечислены)."""


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    args = list(sys.argv[1:] if argv is None else argv)
    paths: list[str] = []
    ca_file = None
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            print(USAGE)
            return 0
        if arg == "--ca" or arg.startswith("--ca="):
            ca_file = arg[5:] if arg.startswith("--ca=") else (args.pop(0) if args else "")
            if not ca_file:
                print("После --ca укажите файл корневого сертификата школы.\n\n" + USAGE)
                return 1
        elif arg.startswith("-") and arg != "-":
            print(f"Неизвестный ключ {arg}.\n\n" + USAGE)
            return 1
        else:
            paths.append(arg)
    ca_pem = None
    if ca_file:
        try:
            ca_pem = Path(ca_file).read_bytes()
        except OSError as exc:
            print(f"Не удалось прочитать файл корневого сертификата {ca_file}: {exc.strerror}")
            return 1
    paths = paths or [str(Path(__file__).resolve().parent)]
    verdicts = [verify_package(p, ca_pem=ca_pem) for p in paths]
    print("\n\n".join(report(v) for v in verdicts))
    ok = all(v.ok for v in verdicts)
    if len(verdicts) > 1:
        chain = check_chain(verdicts)
        print()
        if chain:
            print("ЦЕПОЧКА ГОДОВ И ВЕРСИЙ НЕ СХОДИТСЯ:")
            print("\n".join(f"  - {p}" for p in chain))
            ok = False
        else:
            print("Цепочка годов и версий сходится.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

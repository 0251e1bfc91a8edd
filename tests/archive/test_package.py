"""The sealed year package (issue «Year seal»; R-ARC-1, R-ARC-3, R-SEC-3): a BagIt folder and
its tar that anyone checks with sha256sum and openssl alone, and that names whatever was changed.

Everything runs for real: openssl, coreutils' sha256sum, dash, GNU tar, the system's python3
(not the project's venv) for the copy of verify.py each package carries, and a tmpfs for the
full disk."""

from __future__ import annotations

import ast
import errno
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from weasyprint import HTML

from archive import package_verify
from archive.package import (
    InventoryItem,
    PackageError,
    SealMeta,
    build_package,
    package_name,
)
from archive.package_verify import check_chain, fingerprint, verify_package
from tests.archive.conftest import make_identity

MSK = timezone(timedelta(hours=3))
# inside the validity of the session's seal certificate (made a day back, valid a year on)
SEALED_AT = datetime.now(MSK).replace(microsecond=0) - timedelta(hours=1)
CLEAN_PATH = "PATH=/usr/bin:/bin"
NAME = "ezh-2025-2026-v1"


def meta_for(year: str = "2025/2026", *, version: int = 1, previous: str | None = None,
             supersedes: str | None = None, sealed_at: datetime = SEALED_AT) -> SealMeta:
    return SealMeta(school_name="МБОУ «Средняя школа № 1» г. Тест", year=year, version=version,
                    sealed_at=sealed_at, sealed_by="Иванова Мария Петровна (archivist)",
                    previous_year_digest=previous, supersedes_digest=supersedes,
                    software="ezh 0.1.0", export_format="ezh-export/1")


def small_pdf(text: str) -> bytes:
    return HTML(string=f"<html lang='ru'><body><p>{text}</p></body></html>").write_pdf(
        pdf_variant="pdf/a-3b", pdf_tags=True)


def render_opis(items: list[InventoryItem]) -> bytes:
    """A stand-in for the real опись renderer: a WeasyPrint PDF/A table of the items."""
    rows = "".join(f"<tr><td>{i.path}</td><td>{i.title}</td><td>{i.size}</td>"
                   f"<td>{i.sha256}</td></tr>" for i in items)
    return HTML(string=f"<html lang='ru'><body><h1>Опись</h1><table>{rows}</table></body>"
                       "</html>").write_pdf(pdf_variant="pdf/a-3b", pdf_tags=True)


PAYLOAD = {
    "journals/5a-russian.csv": "Ученик;Дата;Отметка\nАбрамов Пётр;01.09.2025;5\n"
                               "Ёлкина Анна;01.09.2025;4\n".encode(),
    "journals/5a-math.csv": "Ученик;Дата;Отметка\nАбрамов Пётр;02.09.2025;3\n".encode(),
    "movement/movement-2025-2026.csv": "ФИО;Прибыл;Выбыл\nСидоров Иван;;15.01.2026\n".encode(),
    "audit/audit-extract.jsonl": b'{"seq": 1, "action": "journal.cell_saved"}\n'
                                 b'{"seq": 2, "head": "9f86d081884c7d65"}\n',
}
TITLES = {"journals/5a-russian.csv": "Журнал 5 «А» класса: русский язык",
          "summary/sheet-5a.pdf": "Сводная ведомость итоговых отметок 5 «А»"}


@pytest.fixture(scope="module")
def payload(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("payload")
    for rel, content in PAYLOAD.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    (root / "summary").mkdir()
    (root / "summary" / "sheet-5a.pdf").write_bytes(small_pdf("Сводная ведомость 5 «А»"))
    SNAPSHOTS[root] = snapshot(root)
    return root


SNAPSHOTS: dict[Path, dict] = {}


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` with its type, mode, mtime and bytes."""
    return {p.relative_to(root).as_posix(): (p.is_dir(), p.stat().st_mode, p.stat().st_mtime_ns,
                                             None if p.is_dir() else p.read_bytes())
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def sealed(tmp_path_factory, payload, identity):
    seen: list[list[InventoryItem]] = []

    def opis(items):
        seen.append(items)
        return render_opis(items)

    out = tmp_path_factory.mktemp("sealed")
    result = build_package(payload, out, meta=meta_for(), identity=identity, titles=TITLES,
                           inventory=opis)
    return result, seen[0]


@pytest.fixture
def copy(sealed, tmp_path) -> Path:
    """A fresh copy of the sealed folder to spoil."""
    return Path(shutil.copytree(sealed[0].folder, tmp_path / NAME, symlinks=True))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(args: list[str], cwd: Path | None = None) -> tuple[int, str]:
    done = subprocess.run(args, cwd=cwd, capture_output=True, timeout=120, check=False)
    return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")


def verify_sh(folder: Path, *args: str) -> tuple[int, str]:
    """verify.sh under dash with nothing of this environment: no venv, no locale."""
    return run(["env", "-i", CLEAN_PATH, "dash", "verify.sh", *args], cwd=folder)


def verify_py(script_dir: Path, *args: str) -> tuple[int, str]:
    """The package's own verify.py under the system's python3 in isolated mode."""
    return run(["env", "-i", CLEAN_PATH, "python3", "-I", str(script_dir / "verify.py"), *args],
               cwd=script_dir)


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


# --- a good package ----------------------------------------------------------------------------


def test_a_sealed_year_verifies_with_every_tool(sealed, identity, tmp_path):
    """R-ARC-3: folder and tar pass verify_package; verify.sh passes under dash in a clean
    environment; the package's verify.py passes under the system python3 -I from a copy outside
    the repository; sha256sum -c, sha512sum -c and openssl cms -verify pass on their own; the
    bagit library validates it fully; GNU tar unpacks the tar into the same files."""
    result, _ = sealed
    ca_pem = identity.root.public_bytes(Encoding.PEM)
    for target in (result.folder, result.tar):
        verdict = verify_package(target, ca_pem=ca_pem)
        assert verdict.ok, verdict.problems
        assert verdict.root_digest == result.root_digest
        assert (verdict.year, verdict.version) == ("2025/2026", 1)
        assert verdict.ca_fingerprint == fingerprint(identity.root.public_bytes(Encoding.DER))
    assert result.root_digest == hashlib.sha256(
        (result.folder / "tagmanifest-sha256.txt").read_bytes()).hexdigest()

    rc, said = verify_sh(result.folder)
    assert rc == 0, said
    assert result.root_digest in said and "ИТОГ: пакет цел" in said
    assert verify_package(result.folder).ca_fingerprint in said

    outside = Path(shutil.copytree(result.folder, tmp_path / "copy" / NAME))
    rc, said = verify_py(outside)
    assert rc == 0, said
    assert result.root_digest in said and "ИТОГ: пакет цел" in said
    rc, said = verify_py(outside, str(result.tar))
    assert rc == 0, said

    for program, manifest in (("sha256sum", "manifest-sha256.txt"),
                              ("sha512sum", "manifest-sha512.txt"),
                              ("sha256sum", "tagmanifest-sha256.txt"),
                              ("sha512sum", "tagmanifest-sha512.txt")):
        rc, said = run([program, "-c", "--strict", manifest], cwd=result.folder)
        assert rc == 0, said
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    rc, said = run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-content",
                    "tagmanifest-sha256.txt", "-in", "tagmanifest-sha256.txt.p7s", "-CAfile",
                    str(tmp_path / "ca.pem"), "-purpose", "any", "-out", "/dev/null"],
                   cwd=result.folder)
    assert rc == 0 and "Verification successful" in said, said

    bagit.Bag(str(result.folder)).validate(processes=1)
    unpacked = tmp_path / "gnu"
    unpacked.mkdir()
    rc, said = run(["tar", "-xf", str(result.tar), "-C", str(unpacked)])
    assert rc == 0, said
    assert tree(unpacked / NAME) == tree(result.folder)


def test_the_package_holds_what_the_issue_lists(sealed, payload, identity):
    """Layout, sha256sum-format manifests, bag-info fields, the опись in data/, a Russian
    README with the plain commands; the root digest is in no file of the package."""
    result, items = sealed
    folder = result.folder
    top = sorted(p.name for p in folder.iterdir())
    assert top == sorted(["data", "bagit.txt", "bag-info.txt", "README.txt", "verify.sh",
                          "verify.py", "school-ca.pem", "seal-certificate.pem",
                          "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt",
                          "tagmanifest-sha512.txt", "tagmanifest-sha256.txt.p7s"])
    assert (folder / "bagit.txt").read_text() == ("BagIt-Version: 1.0\n"
                                                  "Tag-File-Character-Encoding: UTF-8\n")
    # the payload is copied byte for byte, plus the опись
    assert tree(folder / "data") == {**tree(payload), "opis.pdf": (folder / "data/opis.pdf")
                                     .read_bytes()}
    assert (folder / "data/opis.pdf").read_bytes().startswith(b"%PDF-")
    for alg, width in (("sha256", 64), ("sha512", 128)):
        lines = (folder / f"manifest-{alg}.txt").read_text("utf-8").splitlines()
        assert [ln[width + 2:] for ln in lines] == sorted(
            ["data/" + rel for rel in tree(payload)] + ["data/opis.pdf"])
        for ln in lines:
            assert re.fullmatch(rf"[0-9a-f]{{{width}}}  data/\S+", ln), ln
            digest, rel = ln.split("  ", 1)
            assert hashlib.new(alg, (folder / rel).read_bytes()).hexdigest() == digest
        tag_lines = (folder / f"tagmanifest-{alg}.txt").read_text("utf-8").splitlines()
        assert sorted(ln.split("  ", 1)[1] for ln in tag_lines) == sorted(
            ["bagit.txt", "bag-info.txt", "README.txt", "verify.sh", "verify.py",
             "school-ca.pem", "seal-certificate.pem", "manifest-sha256.txt",
             "manifest-sha512.txt"])
    info = dict(ln.split(": ", 1) for ln in (folder / "bag-info.txt").read_text("utf-8")
                .splitlines())
    size = sum(len(b) for b in tree(folder / "data").values())
    assert info["Payload-Oxum"] == f"{size}.{len(PAYLOAD) + 2}"
    assert (result.files, result.bytes) == (len(PAYLOAD) + 2, size)
    assert info["Source-Organization"] == "МБОУ «Средняя школа № 1» г. Тест"
    assert info["Bagging-Date"] == SEALED_AT.date().isoformat()
    assert info["Ezh-Year"] == "2025/2026" and info["Ezh-Seal-Version"] == "1"
    assert datetime.fromisoformat(info["Ezh-Sealed-At"]) == SEALED_AT
    assert info["Ezh-Sealed-By"] == "Иванова Мария Петровна (archivist)"
    assert info["Ezh-Previous-Year-Digest"] == "нет" and info["Ezh-Supersedes-Digest"] == "нет"
    assert (info["Ezh-Software"], info["Ezh-Export-Format"]) == ("ezh 0.1.0", "ezh-export/1")
    assert "2025/2026" in info["External-Description"]
    # the опись got every payload file with its title, size and SHA-256
    assert [i.path for i in items] == sorted(tree(payload))
    for item in items:
        content = (payload / item.path).read_bytes()
        assert (item.size, item.sha256) == (len(content), hashlib.sha256(content).hexdigest())
        assert item.title == TITLES.get(item.path, item.path.rsplit("/", 1)[-1])
    # certificates
    assert (folder / "school-ca.pem").read_bytes() == identity.root.public_bytes(Encoding.PEM)
    assert (folder / "seal-certificate.pem").read_bytes().startswith(
        identity.certificate.public_bytes(Encoding.PEM))
    # verify.py is the module itself; the README tells how to check by hand, in Russian
    assert (folder / "verify.py").read_bytes() == Path(package_verify.__file__).read_bytes()
    readme = (folder / "README.txt").read_text("utf-8")
    for needle in ("sha256sum -c manifest-sha256.txt", "sha256sum tagmanifest-sha256.txt",
                   "openssl cms -verify", "openssl x509 -in school-ca.pem -noout -fingerprint "
                   "-sha256", "бумажн", "электронной печатью системы (контроль целостности)",
                   "МБОУ «Средняя школа № 1» г. Тест", "2025/2026",
                   verify_package(folder).ca_fingerprint):
        assert needle in readme, needle
    assert not re.search(r"\bЭЦ?П\b", readme)
    assert "электронная подпись" not in readme.replace("не\nэлектронная подпись по 63-ФЗ", "")
    for content in tree(folder).values():
        assert result.root_digest.encode() not in content


def test_verify_py_uses_the_standard_library_alone():
    """verify.py is copied into every package: it may import nothing outside the stdlib."""
    source = Path(package_verify.__file__).read_text("utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            imported.add((node.module or "").split(".")[0])
    assert imported and imported <= set(sys.stdlib_module_names), imported


def test_verify_sh_is_plain_posix_sh():
    script = Path(package_verify.__file__).with_name("package_files") / "verify.sh"
    assert script.read_text("utf-8").startswith("#!/bin/sh\n")
    for shell in ("sh", "dash"):
        rc, said = run([shell, "-n", str(script)])
        assert rc == 0, said
    text = script.read_text("utf-8")
    for bashism in ("[[", "function ", "local ", "$'", "<(", "pipefail", "==", "source "):
        assert bashism not in text, bashism


def test_a_cyrillic_file_name_with_a_space(tmp_path, identity):
    """Cyrillic and spaces stay plain UTF-8 in the manifests (no percent-encoding), so
    sha256sum -c, verify.sh, verify.py, bagit and GNU tar all find the file."""
    payload = tmp_path / "payload"
    (payload / "журналы").mkdir(parents=True)
    (payload / "журналы" / "5 А русский язык.csv").write_bytes("Отметка\n5\n".encode())
    result = build_package(payload, tmp_path / "out", meta=meta_for(), identity=identity)
    manifest = (result.folder / "manifest-sha256.txt").read_text("utf-8")
    assert manifest.endswith("  data/журналы/5 А русский язык.csv\n")
    rc, said = run(["sha256sum", "-c", "--strict", "manifest-sha256.txt"], cwd=result.folder)
    assert rc == 0 and "data/журналы/5 А русский язык.csv: OK" in said, said
    rc, said = verify_sh(result.folder)
    assert rc == 0, said
    rc, said = verify_py(result.folder, str(result.tar))
    assert rc == 0, said
    bagit.Bag(str(result.folder)).validate(processes=1)
    (tmp_path / "gnu").mkdir()
    rc, said = run(["tar", "-xf", str(result.tar), "-C", str(tmp_path / "gnu")])
    assert rc == 0, said
    assert (tmp_path / "gnu" / NAME / "data/журналы/5 А русский язык.csv").read_bytes() == \
        "Отметка\n5\n".encode()
    assert verify_package(result.tar).ok


# --- tampering ---------------------------------------------------------------------------------


def _change_a_byte(folder: Path) -> str:
    flip(folder / "data/journals/5a-math.csv", 10)
    return "data/journals/5a-math.csv"


def _delete(folder: Path) -> str:
    (folder / "data/summary/sheet-5a.pdf").unlink()
    return "data/summary/sheet-5a.pdf"


def _add(folder: Path) -> str:
    (folder / "data/journals/5b-extra.csv").write_text("подброшено\n", "utf-8")
    return "data/journals/5b-extra.csv"


def _add_beside(folder: Path) -> str:
    (folder / "notes.txt").write_text("подброшено\n", "utf-8")
    return "notes.txt"


def _edit_manifest_line(folder: Path) -> str:
    path = folder / "manifest-sha256.txt"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    digest = hashlib.sha256(b"something else").hexdigest()
    lines[1] = digest + lines[1][64:]
    path.write_text("".join(lines), "utf-8")
    return "manifest-sha256.txt"


def _break_manifest_line(folder: Path) -> str:
    path = folder / "manifest-sha512.txt"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    lines[2] = "не строка описи\n"
    path.write_text("".join(lines), "utf-8")
    return "manifest-sha512.txt"


def _edit_bag_info(folder: Path) -> str:
    path = folder / "bag-info.txt"
    path.write_text(path.read_text("utf-8").replace("Иванова", "Петрова"), "utf-8")
    return "bag-info.txt"


def _replace_readme(folder: Path) -> str:
    (folder / "README.txt").write_text("Пакет проверен, проверять ничего не надо.\n", "utf-8")
    return "README.txt"


def _replace_verify_sh(folder: Path) -> str:
    (folder / "verify.sh").write_text("#!/bin/sh\necho 'ИТОГ: пакет цел'\n", "utf-8")
    return "verify.sh"


def _corrupt_seal(folder: Path) -> str:
    path = folder / "tagmanifest-sha256.txt.p7s"
    flip(path, len(path.read_bytes()) - 20)
    return "tagmanifest-sha256.txt.p7s"


def _seal_with(folder: Path, other) -> None:
    data = (folder / "tagmanifest-sha256.txt").read_bytes()
    der = (pkcs7.PKCS7SignatureBuilder().set_data(data)
           .add_signer(other.certificate, other.key, hashes.SHA256())
           .sign(Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature,
                                pkcs7.PKCS7Options.Binary]))
    (folder / "tagmanifest-sha256.txt.p7s").write_bytes(der)


def _resign_by_another_school(folder: Path) -> str:
    _seal_with(folder, make_identity("Школа № 2 (чужая)"))
    return "tagmanifest-sha256.txt.p7s"


TAMPERING = {
    "a byte of a payload file": _change_a_byte,
    "a deleted payload file": _delete,
    "an extra payload file": _add,
    "an extra file beside data/": _add_beside,
    "an edited manifest line": _edit_manifest_line,
    "a broken manifest line": _break_manifest_line,
    "an edited bag-info.txt": _edit_bag_info,
    "a replaced README.txt": _replace_readme,
    "a replaced verify.sh": _replace_verify_sh,
    "a corrupted seal": _corrupt_seal,
    "a seal by another school's key": _resign_by_another_school,
}


@pytest.mark.parametrize("spoil", TAMPERING.values(), ids=TAMPERING.keys())
def test_tampering_is_caught_and_named_by_every_verifier(copy, sealed, spoil, tmp_path):
    """R-SEC-3, R-ARC-3: whatever is changed, verify_package, verify.sh and verify.py fail and
    name the file. verify.sh and verify.py are the originals (a package's own scripts could be
    spoiled too — the README's manual steps and the paper's root digest cover that)."""
    size = {p: p.stat().st_size for p in copy.rglob("*") if p.is_file()}
    named = spoil(copy)
    if spoil is _change_a_byte:
        assert (copy / named).stat().st_size == size[copy / named]  # same size: Oxum can't see it
    verdict = verify_package(copy)
    assert not verdict.ok
    assert any(named in p for p in verdict.problems), verdict.problems

    if spoil is _replace_verify_sh:
        # a forged verify.sh says what the forger likes; the README's manual step catches it
        rc, said = run(["sha256sum", "-c", "--quiet", "tagmanifest-sha256.txt"], cwd=copy)
        assert rc == 1 and "verify.sh: FAILED" in said, said
    else:
        rc, said = verify_sh(copy)
        assert rc == 1, said
        assert "ОШИБКА" in said and named in said, said
    # the original verify.py, given the spoilt folder
    shutil.copy(sealed[0].folder / "verify.py", tmp_path / "verify.py")
    rc, said = verify_py(tmp_path, str(copy))
    assert rc == 1, said
    assert "ПАКЕТ НЕ ПРОШЁЛ ПРОВЕРКУ" in said and named in said, said


def test_verify_sh_in_the_package_catches_a_changed_document(copy):
    """The package's own verify.sh, as a user runs it, names the changed document."""
    flip(copy / "data/audit/audit-extract.jsonl", 3)
    rc, said = verify_sh(copy)
    assert rc == 1
    assert ("ОШИБКА: файл data/audit/audit-extract.jsonl изменён (не совпадает отпечаток в "
            "manifest-sha256.txt)") in said, said


def test_the_messages_say_what_happened(copy):
    """The Russian problems name the file and the manifest line."""
    flip(copy / "data/journals/5a-math.csv", 10)
    (copy / "data/summary/sheet-5a.pdf").unlink()
    (copy / "data/z.txt").write_text("x", "utf-8")
    path = copy / "manifest-sha512.txt"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    lines[2] = "испорчено\n"
    path.write_text("".join(lines), "utf-8")
    problems = verify_package(copy).problems
    assert "файл manifest-sha512.txt изменён (SHA-256 не совпадает: tagmanifest-sha256.txt, " \
           "строка 5; SHA-512 не совпадает: tagmanifest-sha512.txt, строка 5)" in problems
    assert "строка 3 manifest-sha512.txt испорчена: ожидалось «отпечаток, два пробела, путь»" \
        in problems
    assert any(p.startswith("файл data/journals/5a-math.csv изменён (SHA-256 не совпадает: "
                            "manifest-sha256.txt, строка") for p in problems), problems
    assert any(p.startswith("файл data/summary/sheet-5a.pdf отсутствует (указан в "
                            "manifest-sha256.txt, строка") for p in problems), problems
    assert "лишний файл data/z.txt не указан в описях manifest-sha256.txt и manifest-sha512.txt" \
        in problems
    assert any(p.startswith("bag-info.txt: Payload-Oxum") for p in problems), problems


def _forge(folder: Path, other) -> None:
    """What a forger with another school's key does: new certificates, new tag manifests, a new
    seal — a package that is consistent in itself."""
    (folder / "school-ca.pem").write_bytes(other.root.public_bytes(Encoding.PEM))
    (folder / "seal-certificate.pem").write_bytes(other.certificate.public_bytes(Encoding.PEM))
    for alg in ("sha256", "sha512"):
        lines = (folder / f"tagmanifest-{alg}.txt").read_text("utf-8").splitlines()
        names = [ln.split("  ", 1)[1] for ln in lines]
        (folder / f"tagmanifest-{alg}.txt").write_text("".join(
            f"{hashlib.new(alg, (folder / n).read_bytes()).hexdigest()}  {n}\n" for n in names),
            "utf-8")
    _seal_with(folder, other)


def test_a_package_resealed_by_another_school_fails_against_the_expected_ca(copy, identity,
                                                                            tmp_path):
    """R-ARC-3: a whole package re-sealed with another school's CA is consistent in itself —
    then only the CA vouches: given the school's own CA, every verifier refuses it; without
    it, the printed CA fingerprint differs from the paper's."""
    expected = identity.root.public_bytes(Encoding.PEM)
    paper_fingerprint = fingerprint(identity.root.public_bytes(Encoding.DER))
    _forge(copy, make_identity("Школа № 2 (чужая)"))

    alone = verify_package(copy)
    assert alone.ok and alone.ca_fingerprint != paper_fingerprint
    rc, said = verify_sh(copy)
    assert rc == 0 and paper_fingerprint not in said

    verdict = verify_package(copy, ca_pem=expected)
    assert not verdict.ok
    assert any("school-ca.pem — не тот корневой сертификат школы" in p
               for p in verdict.problems), verdict.problems
    assert any("tagmanifest-sha256.txt.p7s сделана сертификатом, который не выдан ожидаемым "
               "корневым сертификатом школы" in p for p in verdict.problems), verdict.problems
    (tmp_path / "school.pem").write_bytes(expected)
    rc, said = verify_sh(copy, str(tmp_path / "school.pem"))
    assert rc == 1 and "school-ca.pem — не тот корневой сертификат школы" in said, said
    rc, said = verify_py(copy, "--ca", str(tmp_path / "school.pem"))
    assert rc == 1 and "tagmanifest-sha256.txt.p7s" in said, said


def test_without_openssl_the_seal_is_not_passed(copy, tmp_path):
    """No openssl, no verdict «цел»: the seal unchecked is a problem, not a pass."""
    rc, said = run(["env", "-i", f"PATH={tmp_path}", "/usr/bin/python3", "-I",
                    str(copy / "verify.py")], cwd=tmp_path)
    assert rc == 1
    assert "программа openssl не найдена: электронная печать системы не проверена" in said, said


# --- the tar -----------------------------------------------------------------------------------


def _member(tar: Path, suffix: str) -> tarfile.TarInfo:
    with tarfile.open(tar) as t:
        return next(m for m in t.getmembers() if m.name.endswith(suffix))


def test_tar_spoilt_anywhere_is_caught(sealed, tmp_path):
    """R-ARC-3: a byte flipped in a document, in a header, in padding or in the end blocks, or a
    tar cut short — verify_package and verify.py say the tar is not the sealed one."""
    result, _ = sealed
    info = _member(result.tar, "data/journals/5a-russian.csv")
    bag_info = _member(result.tar, "/bag-info.txt")
    size = result.tar.stat().st_size
    assert 7 < -bag_info.size % 512  # bag-info.txt is followed by padding
    cases = {
        "content": (info.offset_data + 5, "data/journals/5a-russian.csv"),
        "header": (bag_info.offset + 3, ".tar"),
        "padding": (bag_info.offset_data + bag_info.size + 7, "/bag-info.txt"),
        "end": (size - 1, "конец архива"),
    }
    for case, (offset, named) in cases.items():
        spoilt = tmp_path / case / result.tar.name
        spoilt.parent.mkdir()
        shutil.copy(result.tar, spoilt)
        flip(spoilt, offset)
        verdict = verify_package(spoilt)
        assert not verdict.ok, case
        assert any(named in p for p in verdict.problems), (case, verdict.problems)
        rc, said = verify_py(result.folder, str(spoilt))
        assert rc == 1 and named in said, (case, said)
    for cut in (size - 512, info.offset_data + 3, 1000):
        short = tmp_path / f"cut-{cut}" / result.tar.name
        short.parent.mkdir()
        short.write_bytes(result.tar.read_bytes()[:cut])
        verdict = verify_package(short)
        assert not verdict.ok
        assert any(re.search(r"обрезан|повреждён", p) for p in verdict.problems), verdict.problems
        rc, said = verify_py(result.folder, str(short))
        assert rc == 1 and result.tar.name in said, said


def test_a_tar_cut_short_fails_verify_sh_after_gnu_tar(sealed, tmp_path):
    """Unpacked with GNU tar (which complains and goes on), a cut tar fails verify.sh too."""
    result, _ = sealed
    info = _member(result.tar, "data/journals/5a-russian.csv")
    short = tmp_path / result.tar.name
    short.write_bytes(result.tar.read_bytes()[:info.offset_data + 3])
    (tmp_path / "x").mkdir()
    run(["tar", "-xf", str(short), "-C", str(tmp_path / "x")])
    shutil.copy(result.folder / "verify.sh", tmp_path / "x" / NAME / "verify.sh")
    rc, said = verify_sh(tmp_path / "x" / NAME)
    assert rc == 1 and "ОШИБКА" in said, said


def test_a_tar_with_a_link_or_an_escape_is_not_unpacked(tmp_path):
    """Extraction is safe: a symlink, «..» or an absolute path is refused before writing."""
    for case in ("link", "dotdot", "absolute"):
        evil = tmp_path / f"{case}.tar"
        with tarfile.open(evil, "w") as t:
            top = tarfile.TarInfo(NAME)
            top.type = tarfile.DIRTYPE
            t.addfile(top)
            if case == "link":
                link = tarfile.TarInfo(f"{NAME}/data")
                link.type, link.linkname = tarfile.SYMTYPE, "/etc"
                t.addfile(link)
            else:
                name = f"{NAME}/../escaped.txt" if case == "dotdot" else "/tmp/escaped.txt"
                member = tarfile.TarInfo(name)
                member.size = 1
                t.addfile(member, io.BytesIO(b"x"))
        verdict = verify_package(evil)
        assert not verdict.ok
        assert "архив не распакован" in verdict.problems[0], verdict.problems
        assert not (tmp_path / "escaped.txt").exists()


def test_the_tar_is_deterministic(payload, identity, tmp_path):
    """Same inputs, two builds: the tars hold the same entries with the same headers and bytes,
    all but the seal (ECDSA signs with a fresh random number); entries sorted, mtime = sealing
    time, owner root:root without names, modes 0644/0755, no compression."""
    tars = [build_package(payload, tmp_path / d, meta=meta_for(), identity=identity,
                          titles=TITLES, inventory=lambda items: b"%PDF-1.7 fake " +
                          repr(items).encode()).tar for d in ("one", "two")]
    raw = [t.read_bytes() for t in tars]
    assert raw[0][257:262] == b"ustar"  # a plain tar, not gzip or xz
    listings = []
    for t in tars:
        with tarfile.open(t, "r:") as archive:
            entries = []
            for m in archive.getmembers():
                content = archive.extractfile(m).read() if m.isfile() else b""
                info = m.get_info()
                if m.name.endswith(".p7s"):
                    content = b""
                    del info["size"], info["chksum"]
                entries.append((info, content))
            listings.append(entries)
    assert listings[0] == listings[1]
    names = [info["name"] for info, _ in listings[0]]
    assert names == sorted(names, key=lambda n: [p.encode() for p in n.split("/")])
    for info, _ in listings[0]:
        assert info["mtime"] == int(SEALED_AT.timestamp())
        assert (info["uid"], info["gid"], info["uname"], info["gname"]) == (0, 0, "", "")
        executable = info["type"] == tarfile.DIRTYPE or info["name"].endswith(
            ("/verify.sh", "/verify.py"))
        assert info["mode"] == (0o755 if executable else 0o644), info["name"]
    # beyond the entries: the bytes before the seal's entry are the same too
    seal_offset = _member(tars[0], ".p7s").offset
    assert raw[0][:seal_offset] == raw[1][:seal_offset]
    assert tree(tars[0].parent / NAME).keys() == tree(tars[1].parent / NAME).keys()


# --- the chain of years and versions -----------------------------------------------------------


def test_years_and_versions_chain(payload, identity, tmp_path):
    """R-ARC-1, R-ARC-3: 2024/2025, then 2025/2026 pointing at it, then 2025/2026 reopened as v2
    superseding v1 — check_chain and verify.py accept the chain, and v1 still verifies; a wrong
    link is named."""
    out = tmp_path / "out"
    y24 = build_package(payload, out, meta=meta_for("2024/2025"), identity=identity)
    y25 = build_package(payload, out, meta=meta_for(previous=y24.root_digest), identity=identity)
    y25v2 = build_package(payload, out, meta=meta_for(version=2, previous=y24.root_digest,
                                                      supersedes=y25.root_digest),
                          identity=identity)
    assert [r.folder.name for r in (y24, y25, y25v2)] == [
        "ezh-2024-2025-v1", "ezh-2025-2026-v1", "ezh-2025-2026-v2"]
    verdicts = [verify_package(r.tar) for r in (y25v2, y24, y25)]
    assert all(v.ok for v in verdicts)
    assert verdicts[0].supersedes_digest == y25.root_digest
    assert verdicts[0].previous_year_digest == y24.root_digest
    assert check_chain(verdicts) == []
    rc, said = verify_py(y25.folder, str(y24.tar), str(y25.folder), str(y25v2.tar))
    assert rc == 0 and "Цепочка годов и версий сходится." in said, said

    wrong = build_package(payload, tmp_path / "wrong",
                          meta=meta_for(previous=hashlib.sha256(b"another year").hexdigest()),
                          identity=identity)
    problems = check_chain([verify_package(y24.folder), verify_package(wrong.folder)])
    assert len(problems) == 1
    assert str(wrong.folder) in problems[0] and "ссылается на предыдущий год с отпечатком " \
        f"{hashlib.sha256(b'another year').hexdigest()}" in problems[0], problems
    rc, said = verify_py(y25.folder, str(y24.folder), str(wrong.folder))
    assert rc == 1 and "ЦЕПОЧКА ГОДОВ И ВЕРСИЙ НЕ СХОДИТСЯ" in said, said

    gap = check_chain([verify_package(y24.folder), verify_package(y25v2.folder)])
    assert gap == [f"за 2025/2026 нет версии 1, а {y25v2.folder} (2025/2026, версия 2) её "
                   "заменяет"]
    missing_year = build_package(payload, tmp_path / "later",
                                 meta=meta_for("2026/2027", previous=y25v2.root_digest),
                                 identity=identity)
    assert check_chain([verify_package(y24.folder), verify_package(missing_year.folder)]) == [
        "нет пакета за 2025/2026 — цепочка годов прерывается перед 2026/2027"]


def test_a_package_verifies_after_its_seal_certificate_expired(payload, tmp_path):
    """R-ARC-3 (25 years): what counts is the certificate's validity at the sealing time
    (openssl -attime from bag-info.txt), not today."""
    expired = make_identity(days=-0.5)  # valid from a day ago until twelve hours ago
    sealed_at = datetime.now(MSK).replace(microsecond=0) - timedelta(hours=18)
    result = build_package(payload, tmp_path, meta=meta_for(sealed_at=sealed_at),
                           identity=expired)
    assert expired.certificate.not_valid_after_utc < datetime.now(UTC)
    assert verify_package(result.tar).ok
    rc, said = verify_sh(result.folder)
    assert rc == 0, said


# --- refusals and atomicity --------------------------------------------------------------------


def test_an_existing_package_is_never_overwritten(sealed, payload, identity):
    result, _ = sealed
    before = (tree(result.folder), result.tar.read_bytes())
    for _ in range(2):
        with pytest.raises(PackageError) as caught:
            build_package(payload, result.folder.parent, meta=meta_for(), identity=identity)
        assert f"пакет {NAME} уже есть в папке {result.folder.parent}" in str(caught.value)
        assert "v2" in str(caught.value)
    assert (tree(result.folder), result.tar.read_bytes()) == before
    assert sorted(p.name for p in result.folder.parent.iterdir()) == [NAME, f"{NAME}.tar"]
    (result.folder.parent / f"{NAME}.tar").rename(result.folder.parent / "kept.tar")
    try:
        with pytest.raises(PackageError, match=f"пакет {NAME} уже есть"):
            build_package(payload, result.folder.parent, meta=meta_for(), identity=identity)
    finally:
        (result.folder.parent / "kept.tar").rename(result.folder.parent / f"{NAME}.tar")
    assert verify_package(result.tar).ok


def test_a_failing_inventory_leaves_nothing(payload, identity, tmp_path):
    def broken(items):
        raise RuntimeError("шаблон описи не найден")

    out = tmp_path / "out"
    with pytest.raises(PackageError) as caught:
        build_package(payload, out, meta=meta_for(), identity=identity, inventory=broken)
    assert str(caught.value) == ("не удалось составить опись пакета (data/opis.pdf): шаблон описи "
                                 "не найден; пакет не создан, прежние пакеты не тронуты")
    assert list(out.iterdir()) == []


def test_a_package_that_fails_its_self_check_is_not_placed(payload, tmp_path):
    """Sealed at a time the seal certificate did not yet cover: the self-check refuses it and
    nothing is moved into place."""
    identity = make_identity()
    meta = meta_for(sealed_at=datetime.now(MSK) - timedelta(days=3))
    with pytest.raises(PackageError) as caught:
        build_package(payload, tmp_path, meta=meta, identity=identity)
    assert "не прошёл самопроверку" in str(caught.value)
    assert "не действовал в момент запечатывания" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("a full disk needs a tmpfs of its own, and mounting one needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"tmpfs could not be mounted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_disk_that_fills_up_while_sealing_leaves_nothing(small_disk, payload, identity):
    """R-ARC-3: the disk fills up mid-way (another program writes while the опись is made) —
    ENOSPC, a Russian message, no partial folder; the year sealed before stays as it was."""
    out = small_disk / "packages"
    earlier = build_package(payload, out, meta=meta_for("2024/2025"), identity=identity)
    before = tree(earlier.folder)

    def fill_the_disk(items):
        with open(small_disk / "filler", "wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        return render_opis(items)

    with pytest.raises(PackageError) as caught:
        build_package(payload, out, meta=meta_for(previous=earlier.root_digest),
                      identity=identity, inventory=fill_the_disk)
    message = str(caught.value)
    assert message.startswith(f"не хватило места на диске в папке {out} для пакета {NAME}")
    assert "пакет не создан, прежние пакеты не тронуты" in message
    assert sorted(p.name for p in out.iterdir()) == ["ezh-2024-2025-v1", "ezh-2024-2025-v1.tar"]
    assert tree(earlier.folder) == before and verify_package(earlier.tar).ok

    (small_disk / "filler").unlink()
    big = small_disk.parent / "big-payload"  # on the ordinary disk: larger than the tmpfs
    big.mkdir()
    (big / "scan.pdf").write_bytes(os.urandom(9 * 1024 * 1024))
    with pytest.raises(PackageError, match="не хватило места на диске"):
        build_package(big, out, meta=meta_for(), identity=identity)
    assert sorted(p.name for p in out.iterdir()) == ["ezh-2024-2025-v1", "ezh-2024-2025-v1.tar"]


def _refused(payload: Path, out: Path, identity, match: str) -> None:
    with pytest.raises(PackageError, match=match):
        build_package(payload, out, meta=meta_for(), identity=identity)
    assert not out.exists() or list(out.iterdir()) == []


def test_what_a_payload_may_not_hold(tmp_path, identity):
    """Empty, links, devices, names a line-based manifest cannot carry: refused, naming the
    file; the payload is never touched."""
    out = tmp_path / "out"
    empty = tmp_path / "empty"
    (empty / "nested").mkdir(parents=True)
    _refused(empty, out, identity, "нет ни одного файла — запечатывать нечего")
    _refused(tmp_path / "nowhere", out, identity, "папка с документами года .* не найдена")

    cases = {
        "link": lambda p: (p / "link.csv").symlink_to(p / "a.csv"),
        "fifo": lambda p: os.mkfifo(p / "pipe"),
        "newline": lambda p: (p / "a\nb.csv").write_bytes(b"x"),
        "backslash": lambda p: (p / "a\\b.csv").write_bytes(b"x"),
        "percent": lambda p: (p / "100%.csv").write_bytes(b"x"),
        "trailing space": lambda p: (p / "a.csv ").write_bytes(b"x"),
        "not utf-8": lambda p: Path(os.fsdecode(os.fsencode(p) + b"/\xff\xfe.csv")).write_bytes(
            b"x"),
    }
    said = {"link": "link.csv в папке документов — символическая ссылка",
            "fifo": "pipe в папке документов — не обычный файл",
            "newline": "перевод строки", "backslash": "обратную косую черту",
            "percent": "знак «%»", "trailing space": "кончается пробелом",
            "not utf-8": r"не в кодировке UTF-8"}
    for case, make in cases.items():
        payload = tmp_path / case.replace(" ", "-")
        payload.mkdir()
        (payload / "a.csv").write_bytes(b"a")
        make(payload)
        before = sorted(os.listdir(payload))
        _refused(payload, out, identity, said[case])
        assert sorted(os.listdir(payload)) == before


def test_bad_seal_data_is_refused_in_russian(payload, identity, tmp_path):
    bad = {
        "учебный год «2025-2026» указан неверно": meta_for("2025-2026"),
        "учебный год «2025/2027» указан неверно": meta_for("2025/2027"),
        "у версии 1 не может быть прежней версии": meta_for(supersedes="a" * 64),
        "версия 2 за 2025/2026 должна ссылаться на прежнюю версию": meta_for(version=2),
        "отпечаток пакета предыдущего года «xyz» указан неверно": meta_for(previous="xyz"),
        "без часового пояса": meta_for(sealed_at=datetime(2026, 6, 30, 15, 0)),
    }
    for message, meta in bad.items():
        with pytest.raises(PackageError, match=message):
            build_package(payload, tmp_path / "out", meta=meta, identity=identity)
    assert not (tmp_path / "out").exists()
    assert package_name(meta_for(version=3, supersedes="b" * 64)) == "ezh-2025-2026-v3"
    with pytest.raises(PackageError, match="лежит внутри папки документов"):
        build_package(payload, payload / "packages", meta=meta_for(), identity=identity)
    assert not (payload / "packages").exists() or not any((payload / "packages").iterdir())


def test_the_payload_is_left_as_it_was(sealed, payload):
    """The payload is copied, never moved or changed: after sealing (and every other test of
    this module that seals it) it is entry for entry what it was."""
    assert SNAPSHOTS[payload] == snapshot(payload)
    assert set(tree(payload)) == set(PAYLOAD) | {"summary/sheet-5a.pdf"}

"""The school's seal (issue 12 items 2–4, R-ARC-4): keys made, kept encrypted, rotated and
imported by ``archive.keys``; PDFs sealed by ``archive.pdfsign`` verify with pyHanko and, as an
independent check, with poppler's ``pdfsig`` given the school CA; one changed byte, an appended
update, another school's seal, no seal and garbage each get their own Russian answer."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from archive import keys, pdfsign
from tests.archive.conftest import make_identity

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pdfa() -> bytes:
    return HTML(string='<html lang="ru"><head><title>Выписка</title></head><body><p>Табель успеваемости: '
                       "Морозов Артём, 5А</p></body></html>").write_pdf(pdf_variant="pdf/a-3b", pdf_tags=True)


def test_init_writes_encrypted_private_keys_and_refuses_a_second_time(tmp_path):
    folder = tmp_path / "school"
    keys.init_school_keys(folder, school_name="Школа № 1 (тест)")
    assert folder.stat().st_mode & 0o777 == 0o700
    for name in ("signing.key.pem", "ca.key.pem", "passphrase"):
        assert (folder / name).stat().st_mode & 0o777 == 0o600
    assert b"ENCRYPTED" in (folder / "signing.key.pem").read_bytes()
    with pytest.raises(TypeError):
        serialization.load_pem_private_key((folder / "signing.key.pem").read_bytes(), password=None)
    before = (folder / "signing.pem").read_bytes()
    with pytest.raises(keys.KeyStoreError, match="ezh keys rotate"):
        keys.init_school_keys(folder, school_name="Школа № 1 (тест)")
    assert (folder / "signing.pem").read_bytes() == before
    info = keys.describe(folder)
    assert info["algorithm"] == "ECDSA P-256" and len(info["ca_fingerprint"].split(":")) == 32
    assert keys.export_ca_pem(folder).startswith(b"-----BEGIN CERTIFICATE-----")


def test_a_wrong_or_missing_passphrase_and_an_expired_certificate_are_named(tmp_path):
    folder = tmp_path / "school"
    keys.init_school_keys(folder, school_name="Школа", now=NOW, signing_years=1)
    (tmp_path / "wrong").write_text("не тот пароль")
    with pytest.raises(keys.KeyStoreError, match="не открывается этим паролем"):
        keys.load_identity(folder, passphrase_file=tmp_path / "wrong", now=NOW)
    with pytest.raises(keys.KeyStoreError, match="нет файла пароля"):
        keys.load_identity(folder, passphrase_file=tmp_path / "missing", now=NOW)
    later = NOW + timedelta(days=400)
    with pytest.raises(keys.KeyStoreError, match=r"истёк \d\d\.\d\d\.\d{4}: выполните ezh keys rotate"):
        keys.load_identity(folder, now=later)
    with pytest.raises(keys.KeyStoreError, match="ezh keys init"):
        keys.load_identity(tmp_path / "nothing")


def test_documents_sealed_before_a_rotation_still_verify(tmp_path, pdfa):
    folder = tmp_path / "school"
    keys.init_school_keys(folder, school_name="Школа", algorithm="rsa-3072")
    sealed = pdfsign.sign_pdf(pdfa, keys.load_identity(folder))
    keys.rotate(folder)
    assert keys.describe(folder)["history"] == 1 and keys.describe(folder)["algorithm"] == "RSA-3072"
    assert pdfsign.verify_pdf(sealed, keys.trust_roots(folder)).status == "valid"
    newer = pdfsign.sign_pdf(pdfa, keys.load_identity(folder))
    assert pdfsign.verify_pdf(newer, keys.trust_roots(folder)).status == "valid"


def test_a_pkcs12_from_an_external_ca_is_imported_and_a_bad_one_refused(tmp_path, pdfa):
    outside = make_identity("Внешний УЦ (тест)")
    p12 = pkcs12.serialize_key_and_certificates(b"seal", outside.key, outside.certificate, list(outside.chain),
                                                serialization.BestAvailableEncryption(b"pw"))
    folder = tmp_path / "school"
    keys.import_pkcs12(folder, p12, b"pw")
    assert keys.describe(folder)["imported"]
    sealed = pdfsign.sign_pdf(pdfa, keys.load_identity(folder))
    assert pdfsign.verify_pdf(sealed, keys.trust_roots(folder)).status == "valid"
    with pytest.raises(keys.KeyStoreError, match="импортируйте новый PKCS#12"):
        keys.rotate(folder)
    with pytest.raises(keys.KeyStoreError, match="неверный пароль"):
        keys.import_pkcs12(tmp_path / "other", p12, b"not it")
    lonely = pkcs12.serialize_key_and_certificates(b"x", None, None, [outside.root], serialization.NoEncryption())
    with pytest.raises(keys.KeyStoreError, match="нет закрытого ключа"):
        keys.import_pkcs12(tmp_path / "other", lonely, None)


def _nss(tmp_path: Path, ca_pem: bytes) -> str:
    db = tmp_path / "nss"
    db.mkdir()
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "school", "-t", "CT,C,C", "-a", "-i",
                    str(tmp_path / "ca.pem")], check=True, capture_output=True)
    return f"sql:{db}"


def test_a_sealed_pdf_a_verifies_here_and_in_pdfsig_and_keeps_its_pdf_a_claim(tmp_path, pdfa, identity):
    sealed = pdfsign.sign_pdf(pdfa, identity)
    verdict = pdfsign.verify_pdf(sealed, [identity.root])
    assert verdict.status == "valid" and "Школа № 1 (тест)" in verdict.signer and verdict.signed_at
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    nss = _nss(tmp_path, identity.root.public_bytes(serialization.Encoding.PEM))
    out = subprocess.run(["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in out and "Certificate is Trusted" in out
    # PDF/A-3 stands on PDF 1.7: the seal must not declare the file PDF 2.0 (pyHanko would, for ECDSA)
    assert sealed.startswith(b"%PDF-1.7") and b"/Version /2.0" not in sealed
    meta = PdfReader(io.BytesIO(sealed)).xmp_metadata
    xml = meta.stream.get_data().decode() if meta else ""
    assert "pdfaid:part" in xml and ("<pdfaid:part>3</pdfaid:part>" in xml or 'pdfaid:part="3"' in xml)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip())  # emb column
    # one flipped byte inside the signed range: both checkers say so
    broken = bytearray(sealed)
    broken[sealed.index(b"stream") + 20] ^= 0x01  # inside the first content stream, signed
    assert pdfsign.verify_pdf(bytes(broken), [identity.root]).status == "modified"
    path.write_bytes(bytes(broken))
    out = subprocess.run(["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" not in out


def test_appended_updates_foreign_seals_no_seal_and_garbage(pdfa, identity):
    sealed = pdfsign.sign_pdf(pdfa, identity)
    writer = PdfWriter(PdfReader(io.BytesIO(sealed)), incremental=True)
    writer.add_metadata({"/Title": "Исправлено"})
    appended = io.BytesIO()
    writer.write(appended)
    assert pdfsign.verify_pdf(appended.getvalue(), [identity.root]).status == "modified"
    assert pdfsign.verify_pdf(sealed + b"\n% a note\n", [identity.root]).status == "modified"
    assert pdfsign.verify_pdf(sealed + b"\n%%EOF\n", [identity.root]).status in ("modified", "not_pdf")
    assert pdfsign.verify_pdf(sealed, [make_identity("Другая школа").root]).status == "untrusted"
    assert pdfsign.verify_pdf(pdfa, [identity.root]).status == "unsigned"
    for junk in (b"", b"\x00" * 100, b"%PDF-1.7\n" + b"\xff" * 200, sealed[: len(sealed) // 2]):
        verdict = pdfsign.verify_pdf(junk, [identity.root])
        assert verdict.status in ("not_pdf", "modified") and verdict.message


def test_python_m_archive_verify_is_not_needed_the_service_command_is(tmp_path, pdfa, identity):
    """`ezh verify` (service/records/commands.py) answers 0 for a good file and 1 otherwise."""
    import os
    import sys

    sealed = pdfsign.sign_pdf(pdfa, identity)
    (tmp_path / "ok.pdf").write_bytes(sealed)
    (tmp_path / "bad.pdf").write_bytes(sealed + b"junk")
    (tmp_path / "ca.pem").write_bytes(identity.root.public_bytes(serialization.Encoding.PEM))
    env = {**os.environ, "EZH_CONFIG": "/dev/null"}
    good = subprocess.run([sys.executable, "-m", "service.cli", "verify", str(tmp_path / "ok.pdf"), "--ca",
                           str(tmp_path / "ca.pem")], capture_output=True, text=True, env=env)
    assert good.returncode == 0 and "подлинный" in good.stdout, good.stderr
    bad = subprocess.run([sys.executable, "-m", "service.cli", "verify", str(tmp_path / "bad.pdf"), "--ca",
                          str(tmp_path / "ca.pem")], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "НЕ подтверждён" in bad.stdout

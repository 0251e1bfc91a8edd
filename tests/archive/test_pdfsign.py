"""Sealing PDF/A documents and checking them (``archive.pdfsign``, R-ARC-4): the seal verifies
in pyHanko and — independently — in poppler's ``pdfsig`` trusting the school CA from an NSS
database; the file stays PDF/A-3b with embedded fonts; any change, an appended update, a
foreign seal, no seal and garbage each get their own Russian answer, never an exception; a
document sealed before a key rotation or by a since-expired certificate still verifies."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from archive import keys, pdfsign
from tests.archive.conftest import make_identity

REPO = Path(__file__).resolve().parents[2]
TEXT = "Табель успеваемости: Морозов Артём, 5А. Русский язык — «отлично»."
FORBIDDEN = ("ЭП", "ЭЦП", "электронная подпись", "электронной подписи")


@pytest.fixture(scope="module")
def pdfa() -> bytes:
    html = (f'<html lang="ru"><head><title>Выписка</title></head><body><p>{TEXT}</p>'
            "</body></html>")
    return HTML(string=html).write_pdf(pdf_variant="pdf/a-3b", pdf_tags=True)


@pytest.fixture(scope="module")
def sealed(pdfa, identity) -> bytes:
    return pdfsign.sign_pdf(pdfa, identity)


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _nss(folder: Path, *roots) -> str:
    """An NSS database trusting ``roots``, as a person checking with pdfsig would set it up."""
    db = folder / "nss"
    db.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True,
                   capture_output=True)
    for n, root in enumerate(roots):
        pem = folder / f"ca{n}.pem"
        pem.write_bytes(_pem(root))
        subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", f"school{n}", "-t", "CT,C,C",
                        "-a", "-i", str(pem)], check=True, capture_output=True)
    return f"sql:{db}"


def _pdfsig(path: Path, nss: str) -> str:
    return subprocess.run(["pdfsig", "-nssdir", nss, str(path)], capture_output=True,
                          text=True).stdout


def _byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    found = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert len(found) == 1
    return tuple(int(x) for x in found[0])


def _no_signature_words(text: str) -> None:
    for word in FORBIDDEN:
        assert not re.search(rf"(?<!\w){word}(?!\w)", text), (word, text)


def test_a_sealed_pdf_verifies_with_its_signer_time_and_fingerprint(sealed, pdfa, identity):
    """R-ARC-4: the seal is valid, names the school, and the bytes before it are the document
    itself (incremental update)."""
    before = datetime.now(UTC)
    verdict = pdfsign.verify_pdf(sealed, [identity.root])
    assert verdict.status == "valid" and verdict.ok
    assert verdict.signer == "Школа № 1 (тест), ezh: электронная печать системы"
    assert verdict.signed_at is not None and abs(verdict.signed_at - before) < timedelta(minutes=5)
    assert verdict.sha256 == hashlib.sha256(sealed).hexdigest()
    assert verdict.certificate_fingerprint == ":".join(
        f"{b:02X}" for b in identity.certificate.fingerprint(hashes.SHA256()))
    assert "не изменялся" in verdict.message
    assert sealed.startswith(pdfa)  # incremental: the original bytes untouched
    start, first, second, length = _byte_range(sealed)
    assert start == 0 and second + length == len(sealed)  # the seal covers the whole file
    assert b"/SubFilter /ETSI.CAdES.detached" in sealed
    seal = PdfReader(io.BytesIO(sealed)).get_fields()["ezh-seal"]["/V"]
    assert seal["/Reason"] == "Электронная печать системы (контроль целостности)"


def test_poppler_pdfsig_trusts_the_seal_given_the_school_ca(tmp_path, sealed, identity):
    """R-ARC-4: verifiable without the journal's code — poppler with the CA in NSS."""
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    out = _pdfsig(path, _nss(tmp_path, identity.root))
    assert "Signature is Valid" in out and "Certificate is Trusted" in out, out
    assert "Total document signed" in out and "ezh-seal" in out
    assert "Signer full Distinguished Name: " in out and "Школа № 1 (тест)" in out


def _openssl_cms(folder: Path, pdf: bytes, root) -> str:
    """openssl checks the CMS alone against the bytes the /ByteRange names; returns its dump."""
    start, first, second, length = _byte_range(pdf)
    (folder / "content.bin").write_bytes(pdf[start:start + first] + pdf[second:second + length])
    der = bytes.fromhex(pdf[first + 1:second - 1].decode())
    (folder / "seal.p7s").write_bytes(der)  # trailing zero padding is ignored by DER readers
    (folder / "root.pem").write_bytes(_pem(root))
    done = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
                           str(folder / "seal.p7s"), "-content", str(folder / "content.bin"),
                           "-CAfile", str(folder / "root.pem"), "-out", os.devnull],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "Verification successful" in done.stderr, done.stderr
    return subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in",
                           str(folder / "seal.p7s")], capture_output=True, text=True,
                          check=True).stdout


def test_openssl_verifies_the_seal_as_pades_b_b_with_the_chain_inside(tmp_path, sealed,
                                                                      identity):
    """The CMS carries what PAdES B-B asks (signing-certificate-v2, no CMS signing time) and
    both the seal and the CA certificate, so a checker needs only the root it trusts."""
    printed = _openssl_cms(tmp_path, sealed, identity.root)
    assert "id-smime-aa-signingCertificateV2" in printed and "signingTime" not in printed
    assert "ecdsa-with-SHA256" in printed and "prime256v1" in printed
    assert printed.count("X509v3 Basic Constraints") == 2  # seal certificate + school CA


def test_the_sealed_file_is_still_pdf_a_3b_with_embedded_fonts_and_its_text(tmp_path, sealed):
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    xmp = PdfReader(io.BytesIO(sealed)).xmp_metadata
    xml = xmp.stream.get_data().decode()
    part = re.search(r"pdfaid:part(?:>|=\")(\d)", xml)
    conformance = re.search(r"pdfaid:conformance(?:>|=\")(\w)", xml)
    assert part and part.group(1) == "3" and conformance and conformance.group(1) == "B"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"PDF version:\s+1\.7", info)  # not raised to 2.0, which PDF/A-3 forbids
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(re.search(r"\byes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", f) and
                         f.split()[-5] == "yes" for f in fonts), fonts
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Морозов Артём" in " ".join(text.split())


def _flip(pdf: bytes, at: int) -> bytes:
    broken = bytearray(pdf)
    broken[at] ^= 0x01
    return bytes(broken)


def test_one_flipped_byte_in_the_signed_range_is_modified_here_and_in_pdfsig(
        tmp_path, sealed, identity):
    start, first, second, length = _byte_range(sealed)
    nss = _nss(tmp_path, identity.root)
    in_stream = sealed.index(b"stream\n") + 30  # compressed page content: still parses
    assert in_stream < first
    for at in (in_stream, second + length // 2):
        verdict = pdfsign.verify_pdf(_flip(sealed, at), [identity.root])
        assert verdict.status == "modified", (at, verdict)
        assert "изменён после заверения" in verdict.message
    path = tmp_path / "broken.pdf"
    path.write_bytes(_flip(sealed, in_stream))
    out = _pdfsig(path, nss)
    assert "Digest Mismatch" in out and "Signature is Valid" not in out, out
    # the signature value itself (the end of the CMS in /Contents, outside the range) spoiled
    hex_end = first + 1 + len(sealed[first + 1:second - 1].rstrip(b"0"))
    at = hex_end - 10
    spoiled = bytearray(sealed)
    spoiled[at] = ord("1") if sealed[at] == ord("0") else ord("0")
    assert pdfsign.verify_pdf(bytes(spoiled), [identity.root]).status == "modified"


def test_an_appended_update_is_modified_though_pdfsig_calls_the_old_range_valid(
        tmp_path, sealed, identity):
    """An incremental update after the seal leaves the sealed bytes intact — pdfsig still says
    the signature is valid for what it covers — but the document shown is not what was sealed."""
    writer = PdfWriter(io.BytesIO(sealed), incremental=True)
    writer.add_metadata({"/Title": "Исправлено"})
    out = io.BytesIO()
    writer.write(out)
    appended = out.getvalue()
    assert appended.startswith(sealed) and len(appended) > len(sealed)
    assert PdfReader(io.BytesIO(appended)).metadata.title == "Исправлено"
    verdict = pdfsign.verify_pdf(appended, [identity.root])
    assert verdict.status == "modified" and "дописаны" in verdict.message
    assert "Школа № 1 (тест)" in verdict.signer  # still says whose seal it was
    path = tmp_path / "appended.pdf"
    path.write_bytes(appended)
    assert "Total document signed" not in _pdfsig(path, _nss(tmp_path, identity.root))
    for tail in (b"\n% a note\n", b"\n%%EOF\n", b"\n", b"\x00" * 3000):
        assert pdfsign.verify_pdf(sealed + tail, [identity.root]).status == "modified", tail


def test_a_foreign_seal_is_untrusted_and_an_unsigned_pdf_is_unsigned(sealed, pdfa, identity):
    other = make_identity("Другая школа")
    verdict = pdfsign.verify_pdf(sealed, [other.root])
    assert verdict.status == "untrusted" and "не этой школой" in verdict.message
    assert "Школа № 1 (тест)" in verdict.signer
    assert pdfsign.verify_pdf(sealed, []).status == "untrusted"
    # the other school's own seal is equally foreign to us
    theirs = pdfsign.sign_pdf(pdfa, other)
    assert pdfsign.verify_pdf(theirs, [identity.root]).status == "untrusted"
    assert pdfsign.verify_pdf(theirs, [identity.root, other.root]).status == "valid"
    unsigned = pdfsign.verify_pdf(pdfa, [identity.root])
    assert unsigned.status == "unsigned" and "нет электронной печати системы" in unsigned.message
    assert unsigned.signer == "" and unsigned.signed_at is None


def test_garbage_empty_and_truncated_files_are_not_pdf_without_an_exception(sealed, identity):
    cases = {
        "random": os.urandom(4096),
        "empty": b"",
        "header and garbage": b"%PDF-1.7\n" + os.urandom(191),
        "text": "Это не PDF, а письмо".encode(),
        "cut at the end": sealed[:-100],
        "cut in the seal": sealed[: _byte_range(sealed)[1] + 50],
        "first half": sealed[: len(sealed) // 2],
        "first 2000 bytes": sealed[:2000],
    }
    assert len(cases["header and garbage"]) == 200
    for name, data in cases.items():
        verdict = pdfsign.verify_pdf(data, [identity.root])
        assert verdict.status == "not_pdf", (name, verdict)
        assert verdict.message and verdict.sha256 == hashlib.sha256(data).hexdigest()
        _no_signature_words(verdict.message)


def test_a_document_sealed_before_a_rotation_verifies_after_it(tmp_path, pdfa):
    folder = tmp_path / "school"
    keys.init_school_keys(folder, school_name="Школа № 5")
    old = pdfsign.sign_pdf(pdfa, keys.load_identity(folder))
    keys.rotate(folder)
    new = pdfsign.sign_pdf(pdfa, keys.load_identity(folder))
    roots = keys.trust_roots(folder)
    verdicts = [pdfsign.verify_pdf(pdf, roots) for pdf in (old, new)]
    assert [v.status for v in verdicts] == ["valid", "valid"]
    assert verdicts[0].certificate_fingerprint != verdicts[1].certificate_fingerprint
    old_fp, new_fp = (keys.fingerprint(c) for c in reversed(keys.all_signing_certificates(folder)))
    assert (verdicts[0].certificate_fingerprint, verdicts[1].certificate_fingerprint) == (old_fp,
                                                                                           new_fp)
    # and pdfsig, trusting the exported CA, agrees for the old document
    (tmp_path / "old.pdf").write_bytes(old)
    out = _pdfsig(tmp_path / "old.pdf", _nss(tmp_path, *roots))
    assert "Signature is Valid" in out and "Certificate is Trusted" in out


def test_a_seal_whose_certificate_has_since_expired_still_verifies(pdfa):
    """R-ARC-4 (25 years): the certificate is judged at the sealing time, not today."""
    short = make_identity("Школа № 7", days=3 / 86400)  # valid for three more seconds
    sealed = pdfsign.sign_pdf(pdfa, short)
    time.sleep(max(0.0, (short.certificate.not_valid_after_utc - datetime.now(UTC))
                   .total_seconds()) + 1)
    assert datetime.now(UTC) > short.certificate.not_valid_after_utc
    assert pdfsign.verify_pdf(sealed, [short.root]).status == "valid"


def test_a_seal_made_before_its_certificate_began_is_untrusted(tmp_path, pdfa):
    folder = tmp_path / "school"
    later = datetime.now(UTC) + timedelta(days=2)
    keys.init_school_keys(folder, school_name="Школа № 8", now=later)
    early = pdfsign.sign_pdf(pdfa, keys.load_identity(folder, now=later))  # sealed today
    verdict = pdfsign.verify_pdf(early, keys.trust_roots(folder))
    assert verdict.status == "untrusted" and "не действовал в момент заверения" in verdict.message


def test_an_rsa_3072_seal_verifies_here_and_in_pdfsig(tmp_path, pdfa):
    folder = tmp_path / "school"
    identity = keys.init_school_keys(folder, school_name="Школа № 9", algorithm="rsa-3072")
    sealed = pdfsign.sign_pdf(pdfa, identity, location="Казань")
    assert pdfsign.verify_pdf(sealed, keys.trust_roots(folder)).status == "valid"
    (tmp_path / "rsa.pdf").write_bytes(sealed)
    out = _pdfsig(tmp_path / "rsa.pdf", _nss(tmp_path, identity.root))
    assert "Signature is Valid" in out and "Certificate is Trusted" in out, out
    assert PdfReader(io.BytesIO(sealed)).get_fields()["ezh-seal"]["/V"]["/Location"] == "Казань"
    printed = _openssl_cms(tmp_path, sealed, identity.root)
    assert "rsaEncryption" in printed and "ecdsa" not in printed


def test_a_seal_is_signed_once(pdfa, identity, monkeypatch):
    """The room for the signature is reckoned from the certificates, so pyHanko does not sign
    each document a first time only to measure the signature (a third of a batch's sealing; the
    time itself is measured in bench/archive.py, not here)."""
    from pyhanko.sign import signers

    calls = []
    real = signers.SimpleSigner.async_sign_raw

    async def counted(self, *args, **kwargs):
        calls.append(kwargs.get("dry_run", args[2] if len(args) > 2 else False))
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(signers.SimpleSigner, "async_sign_raw", counted)
    sealed = pdfsign.sign_pdf(pdfa, identity)
    assert calls == [False]
    assert pdfsign.verify_pdf(sealed, [identity.root]).status == "valid"


def test_each_seal_names_its_certificate_as_pyhanko_would(pdfa, identity):
    """R-ARC-2: the signing-certificate-v2 attribute (the signed hash of the seal's certificate,
    RFC 5035), built once and reused, is in every sealed document byte for byte what pyHanko
    builds for that certificate, and each document verifies."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import as_signing_certificate_v2

    expected = as_signing_certificate_v2(pdfsign._asn1_cert(identity.certificate)).dump()
    for _ in range(2):
        sealed = pdfsign.sign_pdf(pdfa, identity)
        [sig] = PdfFileReader(io.BytesIO(sealed)).embedded_signatures
        found = [a["values"][0].dump() for a in sig.signer_info["signed_attrs"]
                 if a["type"].native == "signing_certificate_v2"]
        assert found == [expected]
        assert pdfsign.verify_pdf(sealed, [identity.root]).status == "valid"


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
    return subprocess.run([sys.executable, "-m", "archive", *args], capture_output=True,
                          text=True, cwd=REPO, env=env)


def test_python_m_archive_verify_answers_in_russian_with_exit_codes(tmp_path, sealed, pdfa,
                                                                    identity):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(_pem(identity.root))
    files = {"ok.pdf": sealed, "changed.pdf": _flip(sealed, sealed.index(b"stream\n") + 30),
             "plain.pdf": pdfa, "junk.pdf": b"%PDF-1.7\n" + b"\xff" * 191}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    ok = _cli("verify", str(tmp_path / "ok.pdf"), "--ca", str(ca))
    assert ok.returncode == 0, ok.stderr
    assert "подлинный" in ok.stdout and "Школа № 1 (тест)" in ok.stdout
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", ok.stdout)
    assert len(ok.stdout.strip().splitlines()) == 1
    answers = {"changed.pdf": "изменён после заверения", "plain.pdf": "нет электронной печати",
               "junk.pdf": "повреждён"}
    for name, expected in answers.items():
        done = _cli("verify", str(tmp_path / name), "--ca", str(ca))
        assert done.returncode == 1 and "НЕ подтверждён" in done.stdout, (name, done)
        assert expected in done.stdout and "Traceback" not in done.stderr
        _no_signature_words(done.stdout)
    foreign = tmp_path / "other.pem"
    foreign.write_bytes(_pem(make_identity("Другая школа").root))
    done = _cli("verify", str(tmp_path / "ok.pdf"), "--ca", str(foreign))
    assert done.returncode == 1 and "не этой школой" in done.stdout
    both = _cli("verify", str(tmp_path / "ok.pdf"), "--ca", str(foreign), "--ca", str(ca))
    assert both.returncode == 0
    missing = _cli("verify", str(tmp_path / "none.pdf"), "--ca", str(ca))
    assert missing.returncode == 1 and "файл не найден" in missing.stderr
    no_ca = _cli("verify", str(tmp_path / "ok.pdf"))
    assert no_ca.returncode == 1 and "--ca" in no_ca.stderr
    bad_ca = _cli("verify", str(tmp_path / "ok.pdf"), "--ca", str(tmp_path / "junk.pdf"))
    assert bad_ca.returncode == 1 and "не сертификат X.509" in bad_ca.stderr
    _no_signature_words(ok.stdout + no_ca.stderr)


def test_a_chain_bigger_than_the_room_kept_for_it_still_seals(pdfa, identity, monkeypatch):
    """The room for the signature is reckoned from the certificates (so that pyHanko does not
    sign twice to measure it); when it falls short, pyHanko measures and the seal is as good."""
    monkeypatch.setattr(pdfsign, "RESERVE_SLACK", -2000)
    sealed = pdfsign.sign_pdf(pdfa, identity)
    assert pdfsign.verify_pdf(sealed, [identity.root]).status == "valid"

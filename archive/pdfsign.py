"""Sealing PDFs with the system's seal (PAdES B-B, pyHanko) and checking them.

The seal is an invisible signature field added by incremental update, so the PDF/A-3b
identification of the document survives; the full chain to the school CA rides in the
signature. Checking never raises on bad input: the verification page takes files from anyone.

A document is checked as of the time it was sealed (the time the signature states): a seal
certificate that has since expired or been rotated out still vouches for what it sealed.
Nothing is fetched over the network (no OCSP, no CRL): the archive must verify offline."""

from __future__ import annotations

import functools
import io
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from hashlib import sha256

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from archive.identity import SigningIdentity
from archive.keys import issued_by  # one rule of who issued whom, for keys and seals

REASON = "Электронная печать системы (контроль целостности)"
STATUSES = ("valid", "modified", "untrusted", "unsigned", "not_pdf")
RESERVE_SLACK = 3072  # bytes beyond the certificates: signed attributes, the signature value

# pyHanko logs every failed validation loudly; a bad upload is an answer, not an incident
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class PdfVerdict:
    status: str  # one of STATUSES
    message: str  # a Russian sentence for a person: what is wrong (or that all is well)
    signer: str = ""  # the seal certificate's O (CN)
    signed_at: datetime | None = None
    sha256: str = ""  # of the bytes checked
    certificate_fingerprint: str = ""  # SHA-256 of the seal certificate, AB:CD:…

    @property
    def ok(self) -> bool:
        return self.status == "valid"


def _asn1_cert(cert: x509.Certificate):
    from pyhanko.keys import load_certs_from_pemder_data

    return next(load_certs_from_pemder_data(cert.public_bytes(serialization.Encoding.DER)))


@functools.cache
def _signer_class():
    # built on first use: pyHanko takes a while to import and ``ezh`` should start fast
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_signer import _ensure_esic_ext

    class Pdf17Signer(signers.PdfSigner):
        """pyHanko marks a file sealed with ECDSA on P-256 as PDF 2.0 (ISO 32002 names that
        curve), which would contradict the document's PDF/A-3 (PDF 1.7) identification. PAdES on
        PDF 1.7 needs the ESIC extension alone; pdfsig and pyHanko accept the result as is."""

        def register_extensions(self, pdf_out, *, md_algorithm: str) -> None:
            _ensure_esic_ext(pdf_out)

    return Pdf17Signer


@functools.lru_cache(maxsize=8)
def _signing_certificate_attribute(cert_der: bytes) -> bytes:
    """The DER of the signing-certificate-v2 attribute value (RFC 5035) that names the seal's
    certificate — the same in every document sealed with it."""
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.sign.general import as_signing_certificate_v2

    return as_signing_certificate_v2(next(load_certs_from_pemder_data(cert_der))).dump()


@functools.cache
def _seal_signer_class():
    from asn1crypto import tsp
    from pyhanko.sign import attributes, signers

    class _SigningCertificate(attributes.CMSAttributeProvider):
        attribute_type = "signing_certificate_v2"

        def __init__(self, der: bytes) -> None:
            self.der = der

        async def build_attr_value(self, dry_run: bool = False):
            return tsp.SigningCertificateV2.load(self.der)

    class SealSigner(signers.SimpleSigner):
        """pyHanko builds the signing-certificate-v2 attribute afresh for each signature, and
        asn1crypto then encodes the issuer's name anew every time the signed attributes are
        written — about half of the CPU of sealing a document. The attribute is the same for
        every document sealed with one certificate: built once, and each signature reads it
        back from its DER, which asn1crypto writes out as it was read."""

        def _signed_attr_providers(self, *args, **kwargs):
            der = _signing_certificate_attribute(self.signing_cert.dump())
            for provider in super()._signed_attr_providers(*args, **kwargs):
                if isinstance(provider, attributes.SigningCertificateV2Provider):
                    provider = _SigningCertificate(der)
                yield provider

    return SealSigner


def sign_pdf(pdf: bytes, identity: SigningIdentity, *, reason: str = REASON,
             location: str | None = None, field_name: str = "ezh-seal") -> bytes:
    """``pdf`` with the system's seal: PAdES B-B, SHA-256, invisible field, chain embedded,
    appended as an incremental update (the original bytes stay as they were)."""
    from pyhanko.keys import load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = load_private_key_from_pemder_data(identity.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), passphrase=None)
    signer = _seal_signer_class()(
        signing_cert=_asn1_cert(identity.certificate), signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in identity.chain]))
    meta = signers.PdfSignatureMetadata(field_name=field_name, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        reason=reason, location=location)
    # Room for the signature container, in hex digits: the certificates it carries, the signed
    # attributes and the signature value, with slack. Without it pyHanko builds a whole
    # signature once more just to measure it (a third of the time of sealing).
    certs = [identity.certificate, *identity.chain]
    reserved = 2 * (sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certs) + RESERVE_SLACK)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        return _signer_class()(meta, signer=signer).sign_pdf(writer, bytes_reserved=reserved).getvalue()
    except SigningError as exc:  # an unusual chain that does not fit: let pyHanko measure it
        if "larger than expected" not in str(exc):
            raise
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    return _signer_class()(meta, signer=signer).sign_pdf(writer).getvalue()


def _who(cert) -> str:
    native = cert.subject.native
    org, cn = native.get("organization_name", ""), native.get("common_name", "")
    if isinstance(org, list):
        org = ", ".join(org)
    return f"{org}, {cn}" if org and cn else org or cn


def verify_pdf(pdf: bytes, trust_roots: list[x509.Certificate]) -> PdfVerdict:
    """What a person should know about ``pdf``: sealed by one of ``trust_roots``' seals and
    unchanged since, or what is wrong. Never raises on bad input."""
    try:
        data = bytes(pdf)
    except (TypeError, ValueError):
        return PdfVerdict("not_pdf", "файл не получен: нечего проверять")
    digest = sha256(data).hexdigest()
    if not data:
        return PdfVerdict("not_pdf", "файл пуст: это не PDF-документ", sha256=digest)
    if data[:1024].lstrip()[:5] != b"%PDF-":
        return PdfVerdict("not_pdf", "это не PDF-документ (нет заголовка %PDF-)", sha256=digest)
    damaged = PdfVerdict("not_pdf", "файл PDF повреждён или обрезан: его не удалось прочитать",
                         sha256=digest)
    sealed_length = _sealed_length(data)
    if sealed_length is not None and sealed_length > len(data):
        return PdfVerdict("not_pdf", "файл PDF обрезан: заверенная часть документа неполна",
                          sha256=digest)
    if sealed_length is not None and sealed_length < len(data):
        # bytes after the sealed revision, parsable or not: the file is not what was sealed;
        # the sealed part still says whose seal it was
        inner = _safely(data[:sealed_length], trust_roots, digest)
        if inner is not None and inner.status in ("valid", "untrusted", "modified"):
            return replace(inner, status="modified", message=APPENDED)
    if not data.rstrip().endswith(b"%%EOF"):  # a PDF's last line is %%EOF: this one was cut
        return damaged
    return _safely(data, trust_roots, digest) or damaged


APPENDED = ("документ изменён после заверения: после печати системы в файл дописаны "
            "изменения")
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def _sealed_length(data: bytes) -> int | None:
    """Where the last signed revision ends, read from its /ByteRange (None: no signature)."""
    matches = list(_BYTE_RANGE.finditer(data))
    if not matches:
        return None
    last = matches[-1]
    start, first, second, length = (int(g) for g in last.groups())
    return second + length if start == 0 else None


def _safely(data: bytes, trust_roots: list[x509.Certificate], digest: str) -> PdfVerdict | None:
    try:
        return _verify(data, trust_roots, digest)
    except Exception:  # noqa: BLE001 - a damaged file is an answer, not an error of the service
        return None


def _verify(pdf: bytes, trust_roots: list[x509.Certificate], digest: str) -> PdfVerdict:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        return PdfVerdict("unsigned", "в документе нет электронной печати системы: его "
                                      "подлинность не подтверждена", sha256=digest)
    sig = signatures[-1]
    claimed = sig.self_reported_timestamp
    # the certificate is judged as of the sealing time: expiry or rotation later does not undo it
    context = ValidationContext(trust_roots=[_asn1_cert(c) for c in trust_roots],
                                allow_fetching=False, revocation_mode="soft-fail", moment=claimed)
    status = validate_pdf_signature(sig, context)
    cert = status.signing_cert
    common = {"signer": _who(cert) if cert is not None else "",
              "signed_at": status.signer_reported_dt or claimed, "sha256": digest,
              "certificate_fingerprint": ":".join(f"{b:02X}" for b in cert.sha256)
              if cert is not None else ""}
    if not status.intact or not status.valid:
        return PdfVerdict("modified", "документ изменён после заверения: контрольная сумма "
                                      "не совпадает с заверенной", **common)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE or len(signatures) > 1:
        return PdfVerdict("modified", APPENDED, **common)
    if not status.trusted:
        return PdfVerdict("untrusted", _why_untrusted(sig, trust_roots, claimed), **common)
    return PdfVerdict("valid", "печать системы верна, после заверения документ не изменялся",
                      **common)


def _pyca(cert) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _why_untrusted(sig, trust_roots: list[x509.Certificate], moment: datetime | None) -> str:
    """Tell a foreign seal from the school's own seal whose certificate did not hold when the
    document was sealed: the person at the verification page needs different advice."""
    foreign = ("печать поставлена не этой школой: сертификат печати не выдан её корневым "
               "сертификатом")
    path = [_pyca(sig.signer_cert)]
    pool = [_pyca(c) for c in sig.other_embedded_certs]
    while not any(issued_by(path[-1], root) for root in trust_roots):
        issuer = next((c for c in pool if c not in path and issued_by(path[-1], c)), None)
        if issuer is None:
            return foreign
        path.append(issuer)
    if moment is not None:
        for cert in path:
            if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
                return (f"сертификат печати этой школы не действовал в момент заверения "
                        f"({moment.astimezone(UTC):%d.%m.%Y %H:%M} UTC): срок его действия — с "
                        f"{cert.not_valid_before_utc:%d.%m.%Y %H:%M} по "
                        f"{cert.not_valid_after_utc:%d.%m.%Y %H:%M} UTC")
    return ("сертификат печати этой школы не прошёл проверку (назначение ключа или цепочка "
            "до корневого сертификата)")

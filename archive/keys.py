"""The school's seal keys: a self-made school CA and a signing certificate issued by it (or a
key and certificate imported from an external CA as PKCS#12).

Layout of the key folder (the service passes ``<key_dir>/school``)::

    ca.pem            the school CA certificate (current)
    ca.key.pem        the CA's private key, encrypted (absent when the keys were imported)
    signing.pem       the seal certificate (current)
    signing.key.pem   its private key, encrypted
    chain.pem         the seal certificate's issuers up to the root
    history/<when>-<serial>/  the retired signing.pem, chain.pem, ca.pem

Private keys are PKCS#8 encrypted with a passphrase kept in a separate file (default
``<folder>/passphrase``): a copy of the folder without that file reveals nothing. Key and
passphrase files are created with O_EXCL and mode 0600, the folder is 0700. Rotation keeps
every retired certificate, so documents sealed before it keep verifying as long as they are
kept. The seal is «электронная печать системы (контроль целостности)», not a signature under
63-ФЗ."""

from __future__ import annotations

import base64
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from archive.identity import SigningIdentity

ALGORITHMS = ("ecdsa-p256", "rsa-3072")
SEAL_CN = "ezh: электронная печать системы"
CA_CN = "ezh: корневой сертификат школы"
MAX_ATTRIBUTE = 64  # X.520 upper bound for O and CN

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class KeyStoreError(Exception):
    """Why the seal cannot be made or used, in Russian."""


# --- files -------------------------------------------------------------------------------------

def _write_private(path: Path, data: bytes) -> None:
    # O_EXCL: never write a key over a file (or a symlink) that someone else put there
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _replace(path: Path, data: bytes, *, private: bool) -> None:
    """Write beside, then rename: a crash leaves the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    if private:
        _write_private(tmp, data)
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def _make_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)


def _passphrase_path(folder: Path, passphrase_file: Path | None) -> Path:
    return Path(passphrase_file) if passphrase_file else folder / "passphrase"


def _passphrase(folder: Path, passphrase_file: Path | None, *, create: bool = False) -> bytes:
    path = _passphrase_path(folder, passphrase_file)
    if not path.exists():
        if not create:
            raise KeyStoreError(
                f"нет файла пароля ключа печати {path}: без него ключ не открыть. Восстановите "
                "файл из резервной копии или укажите его путь в EZH_SEAL_PASSPHRASE_FILE")
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
    try:
        phrase = path.read_bytes().strip()
    except PermissionError:
        raise KeyStoreError(f"файл пароля ключа печати {path} недоступен этой учётной записи: "
                            "запускайте от имени пользователя службы") from None
    if not phrase:
        raise KeyStoreError(f"файл пароля ключа печати {path} пуст")
    return phrase


def _load_key(path: Path, phrase: bytes) -> PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyStoreError(f"нет ключа {path}: восстановите каталог ключей из резервной "
                            "копии") from None
    except PermissionError:
        raise KeyStoreError(f"ключ {path} недоступен этой учётной записи: запускайте от имени "
                            "пользователя службы") from None
    try:
        key = serialization.load_pem_private_key(data, password=phrase)
    except (ValueError, TypeError):
        raise KeyStoreError(f"ключ {path} не открывается этим паролем: проверьте файл пароля "
                            "(EZH_SEAL_PASSPHRASE_FILE)") from None
    if not isinstance(key, PrivateKey):
        raise KeyStoreError(f"ключ {path}: поддерживаются только ECDSA и RSA")
    return key


def _load_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        raise KeyStoreError(f"нет сертификата {path}: восстановите каталог ключей из резервной "
                            "копии") from None
    except ValueError:
        raise KeyStoreError(f"сертификат {path} повреждён (не PEM X.509)") from None


def _load_certs(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except ValueError:
        raise KeyStoreError(f"сертификаты {path} повреждены (не PEM X.509)") from None


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _encrypted(key: PrivateKey, phrase: bytes) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(phrase))


def _has_seal(folder: Path) -> bool:
    return (folder / "signing.pem").exists()


# --- certificates ------------------------------------------------------------------------------

def _new_key(algorithm: str) -> PrivateKey:
    if algorithm == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "rsa-3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise KeyStoreError(f"алгоритм {algorithm} не поддерживается; можно: {', '.join(ALGORITHMS)}")


def _shorten(text: str) -> str:
    """At most MAX_ATTRIBUTE characters, cut at a word with «…» rather than mid-word."""
    text = " ".join(text.split())
    if len(text) <= MAX_ATTRIBUTE:
        return text
    cut = text[:MAX_ATTRIBUTE - 1]
    if " " in cut[MAX_ATTRIBUTE // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:«(") + "…"


def _name(school: str, cn: str) -> x509.Name:
    org = _shorten(school or "") or "Школа"
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, _shorten(cn))])


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=sign, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not sign,
                         crl_sign=not sign, encipher_only=False, decipher_only=False)


def _make_ca(school: str, key: PrivateKey, now: datetime, years: int) -> x509.Certificate:
    name = _name(school, CA_CN)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(sign=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))


def _issue_signing(ca: x509.Certificate, ca_key: PrivateKey, key: PrivateKey, now: datetime,
                   years: int) -> x509.Certificate:
    orgs = ca.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    school = str(orgs[0].value) if orgs else ""
    # a seal certificate never outlives its CA: it would be untrusted for its last years
    until = min(now + timedelta(days=365 * years), ca.not_valid_after_utc)
    return (x509.CertificateBuilder().subject_name(_name(school, SEAL_CN))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(sign=True), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))


def _date(moment: datetime) -> str:
    return f"{moment:%d.%m.%Y}"


def _check_time(cert: x509.Certificate, now: datetime, *, what: str = "сертификата печати",
                remedy: str = "выполните ezh keys rotate") -> None:
    if now > cert.not_valid_after_utc:
        raise KeyStoreError(f"срок действия {what} истёк {_date(cert.not_valid_after_utc)}: "
                            f"{remedy}")
    if now < cert.not_valid_before_utc:
        raise KeyStoreError(f"срок действия {what} начнётся только "
                            f"{cert.not_valid_before_utc:%d.%m.%Y %H:%M} (UTC): проверьте часы "
                            "сервера")


def _same_key(key: PrivateKey, cert: x509.Certificate) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # noqa: BLE001 - any failure means "not this issuer"
        return False
    return True


def _self_signed(cert: x509.Certificate) -> bool:
    return issued_by(cert, cert)


def _order_chain(cert: x509.Certificate, extra: list[x509.Certificate]) -> list[x509.Certificate]:
    """The issuers of ``cert`` from the PKCS#12's extra certificates, in order up to the root
    (a PKCS#12 keeps them in no particular order)."""
    chain: list[x509.Certificate] = []
    pool = list(extra)
    current = cert
    while not _self_signed(current):
        issuer = next((c for c in pool if issued_by(current, c)), None)
        if issuer is None:
            break
        chain.append(issuer)
        pool.remove(issuer)
        current = issuer
    return chain


# --- the store ---------------------------------------------------------------------------------

def init_school_keys(folder: Path, *, school_name: str, algorithm: str = "ecdsa-p256",
                     passphrase_file: Path | None = None, ca_years: int = 30,
                     signing_years: int = 3, now: datetime | None = None) -> SigningIdentity:
    """Make the school CA and the seal certificate. Refuses if a seal already exists."""
    folder = Path(folder)
    if _has_seal(folder):
        raise KeyStoreError(f"электронная печать системы уже создана в {folder}: чтобы сменить "
                            "ключ, выполните ezh keys rotate")
    leftovers = [n for n in ("ca.key.pem", "signing.key.pem") if (folder / n).exists()]
    if leftovers:
        raise KeyStoreError(f"в {folder} остались файлы незавершённого создания ключей "
                            f"({', '.join(leftovers)}): удалите их и повторите ezh keys init")
    if algorithm not in ALGORITHMS:
        raise KeyStoreError(f"алгоритм {algorithm} не поддерживается; можно: "
                            f"{', '.join(ALGORITHMS)}")
    now = now or datetime.now(UTC)
    _make_folder(folder)
    phrase = _passphrase(folder, passphrase_file, create=True)
    ca_key = _new_key(algorithm)
    ca = _make_ca(school_name, ca_key, now, ca_years)
    key = _new_key(algorithm)
    cert = _issue_signing(ca, ca_key, key, now, signing_years)
    _write_private(folder / "ca.key.pem", _encrypted(ca_key, phrase))
    _write_private(folder / "signing.key.pem", _encrypted(key, phrase))
    _replace(folder / "ca.pem", _pem(ca), private=False)
    _replace(folder / "chain.pem", _pem(ca), private=False)
    _replace(folder / "signing.pem", _pem(cert), private=False)  # last: the store is complete
    return SigningIdentity(key=key, certificate=cert, chain=(ca,))


def _retire(folder: Path, now: datetime) -> Path:
    cert = _load_cert(folder / "signing.pem")
    target = folder / "history" / f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{cert.serial_number:x}"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("signing.pem", "chain.pem", "ca.pem"):
        if (folder / name).exists():
            (target / name).write_bytes((folder / name).read_bytes())
    return target


def rotate(folder: Path, *, passphrase_file: Path | None = None, now: datetime | None = None,
           signing_years: int = 3) -> SigningIdentity:
    """A new seal key and certificate from the same school CA; the old certificate to history."""
    folder = Path(folder)
    now = now or datetime.now(UTC)
    if not _has_seal(folder):
        raise KeyStoreError("ключ печати не создан: выполните ezh keys init")
    if not (folder / "ca.key.pem").exists():
        raise KeyStoreError("ключи импортированы из внешнего удостоверяющего центра, ключа "
                            "корневого сертификата здесь нет: для смены импортируйте новый "
                            "PKCS#12 (ezh keys import)")
    ca = _load_cert(folder / "ca.pem")
    _check_time(ca, now, what="корневого сертификата школы",
                remedy="ключи от него больше не выпускаются. Переложите ca.pem, chain.pem и "
                       "signing.pem в новую папку history/<дата>/, удалите ca.key.pem и "
                       "signing.key.pem и выполните ezh keys init — прежние документы "
                       "останутся проверяемыми")
    phrase = _passphrase(folder, passphrase_file)
    ca_key = _load_key(folder / "ca.key.pem", phrase)
    algorithm = "rsa-3072" if isinstance(ca_key, rsa.RSAPrivateKey) else "ecdsa-p256"
    key = _new_key(algorithm)
    cert = _issue_signing(ca, ca_key, key, now, signing_years)
    _retire(folder, now)
    _replace(folder / "signing.key.pem", _encrypted(key, phrase), private=True)
    _replace(folder / "chain.pem", _pem(ca), private=False)
    _replace(folder / "signing.pem", _pem(cert), private=False)
    return SigningIdentity(key=key, certificate=cert, chain=(ca,))


def import_pkcs12(folder: Path, data: bytes, password: bytes | None, *,
                  passphrase_file: Path | None = None,
                  now: datetime | None = None) -> SigningIdentity:
    """The seal from an external CA's PKCS#12 (key, certificate and its chain). Everything is
    checked before anything is written; current keys go to history first."""
    folder = Path(folder)
    now = now or datetime.now(UTC)
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError) as exc:
        raise KeyStoreError("PKCS#12 не прочитан (неверный пароль или повреждённый файл): "
                            f"{exc}") from None
    if key is None or cert is None:
        raise KeyStoreError("в PKCS#12 нет закрытого ключа или сертификата печати: нужен файл "
                            "с ключом, сертификатом и цепочкой до корневого")
    if not isinstance(key, PrivateKey):
        raise KeyStoreError("ключ в PKCS#12 не ECDSA и не RSA: такие не поддерживаются")
    if not _same_key(key, cert):
        raise KeyStoreError("закрытый ключ в PKCS#12 не соответствует сертификату")
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise KeyStoreError("сертификат в PKCS#12 — сертификат удостоверяющего центра, а не "
                                "сертификат для печати документов")
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise KeyStoreError("сертификат в PKCS#12 не предназначен для подписи документов "
                            "(KeyUsage без digitalSignature и nonRepudiation)")
    _check_time(cert, now, what="сертификата в PKCS#12",
                remedy="получите новый в удостоверяющем центре")
    chain = tuple(_order_chain(cert, list(extra or ())))
    if not chain or not _self_signed(chain[-1]):
        raise KeyStoreError("в PKCS#12 нет цепочки до корневого сертификата удостоверяющего "
                            "центра: добавьте её (openssl pkcs12 -export ... -certfile "
                            "цепочка.pem) и импортируйте снова")
    phrase_path = _passphrase_path(folder, passphrase_file)
    _make_folder(folder)
    phrase = _passphrase(folder, phrase_path, create=True)
    if _has_seal(folder):
        _retire(folder, now)
    # the old CA key must not issue seals any more: the seal now comes from the external CA
    (folder / "ca.key.pem").unlink(missing_ok=True)
    _replace(folder / "signing.key.pem", _encrypted(key, phrase), private=True)
    _replace(folder / "chain.pem", _pem(*chain), private=False)
    _replace(folder / "ca.pem", _pem(chain[-1]), private=False)
    _replace(folder / "signing.pem", _pem(cert), private=False)
    return SigningIdentity(key=key, certificate=cert, chain=chain)


def load_identity(folder: Path, *, passphrase_file: Path | None = None,
                  now: datetime | None = None) -> SigningIdentity:
    """The current seal, ready to sign; a Russian KeyStoreError says why not."""
    folder = Path(folder)
    if not _has_seal(folder):
        raise KeyStoreError(f"ключ печати не создан ({folder}): выполните ezh keys init")
    cert = _load_cert(folder / "signing.pem")
    _check_time(cert, now or datetime.now(UTC))
    key = _load_key(folder / "signing.key.pem", _passphrase(folder, passphrase_file))
    if not _same_key(key, cert):
        raise KeyStoreError(f"ключ {folder / 'signing.key.pem'} не соответствует сертификату "
                            f"{folder / 'signing.pem'}: восстановите каталог ключей из резервной "
                            "копии или выполните ezh keys rotate")
    chain_path = folder / "chain.pem"
    chain = tuple(_load_certs(chain_path)) if chain_path.exists() else ()
    return SigningIdentity(key=key, certificate=cert, chain=chain)


def trust_roots(folder: Path) -> list[x509.Certificate]:
    """Every school CA certificate, current and retired: what documents are checked against."""
    folder = Path(folder)
    paths = [folder / "ca.pem", *sorted((folder / "history").glob("*/ca.pem"))]
    seen: dict[bytes, x509.Certificate] = {}
    for path in paths:
        if path.exists():
            for cert in _load_certs(path):
                seen.setdefault(cert.fingerprint(hashes.SHA256()), cert)
    if not seen:
        raise KeyStoreError(f"ключ печати не создан ({folder}): выполните ezh keys init")
    return list(seen.values())


def all_signing_certificates(folder: Path) -> list[x509.Certificate]:
    """The current seal certificate first, then every retired one."""
    folder = Path(folder)
    paths = [folder / "signing.pem", *sorted((folder / "history").glob("*/signing.pem"))]
    return [_load_cert(p) for p in paths if p.exists()]


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 as ``openssl x509 -fingerprint -sha256`` prints it: AB:CD:…"""
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _algorithm(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ECDSA P-256" if key.curve.name == "secp256r1" else f"ECDSA {key.curve.name}"
    return type(key).__name__


def describe(folder: Path, *, now: datetime | None = None) -> dict:
    """The seal as a status page shows it (no secret is read)."""
    folder = Path(folder)
    if not _has_seal(folder):
        raise KeyStoreError("электронная печать системы не создана: администратор выполняет "
                            "ezh keys init")
    cert = _load_cert(folder / "signing.pem")
    ca = _load_cert(folder / "ca.pem")
    now = now or datetime.now(UTC)
    return {"subject": cert.subject.rfc4514_string(), "ca_subject": ca.subject.rfc4514_string(),
            "algorithm": _algorithm(cert),
            "not_before": _date(cert.not_valid_before_utc),
            "not_after": _date(cert.not_valid_after_utc),
            "days_left": (cert.not_valid_after_utc - now).days,
            "ca_not_after": _date(ca.not_valid_after_utc),
            "ca_fingerprint": fingerprint(ca), "signing_fingerprint": fingerprint(cert),
            "history": len(list((folder / "history").glob("*/signing.pem"))),
            "imported": not (folder / "ca.key.pem").exists()}


def export_ca_pem(folder: Path) -> bytes:
    """Every school CA certificate (current first) as PEM: the trust anchor for checking
    documents without ezh."""
    return _pem(*trust_roots(folder))


_LABELS = {"subject": "Сертификат печати", "algorithm": "Алгоритм", "not_before": "Действует с",
           "not_after": "Действует до", "days_left": "Осталось дней",
           "ca_subject": "Корневой сертификат", "ca_not_after": "Корневой действует до",
           "ca_fingerprint": "Отпечаток корневого (SHA-256)",
           "signing_fingerprint": "Отпечаток печати (SHA-256)",
           "history": "Прежних сертификатов", "imported": "Импортирован из внешнего УЦ"}


def describe_lines(info: dict) -> list[str]:
    """:func:`describe` as lines for a person (both command lines print these)."""
    return [f"  {_LABELS.get(key, key)}: {('да' if value else 'нет') if isinstance(value, bool) else value}"
            for key, value in info.items()]

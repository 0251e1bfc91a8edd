"""The school's seal keys (``archive.keys``, R-SEC-3): made encrypted and private, refused twice,
opened only with the passphrase, rotated without losing the old certificates, imported from an
external CA's PKCS#12 only when it can really seal. Checked with real openssl where it can
judge (chain, fingerprint)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from archive import keys
from tests.archive.conftest import make_identity

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SCHOOL = ("Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная "
          "школа № 1 имени А. С. Пушкина»")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), _mode(p))
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _p12(identity, *, key=True, cert=None, chain=None, password=b"pw") -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"seal", identity.key if key else None,
        identity.certificate if cert is None else cert,
        list(identity.chain if chain is None else chain),
        serialization.BestAvailableEncryption(password))


def test_init_makes_private_encrypted_keys_and_a_proper_chain(tmp_path):
    """R-SEC-3: private keys at rest are encrypted, 0600, in a 0700 folder; the CA can only
    issue certificates and the seal certificate can only sign — openssl agrees with the chain."""
    folder = tmp_path / "school"
    identity = keys.init_school_keys(folder, school_name=SCHOOL)
    assert _mode(folder) == 0o700
    for name in ("ca.key.pem", "signing.key.pem", "passphrase"):
        assert _mode(folder / name) == 0o600, name
    assert len((folder / "passphrase").read_bytes().strip()) == 44  # 32 random bytes, base64
    for name in ("ca.key.pem", "signing.key.pem"):
        pem = (folder / name).read_bytes()
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises(TypeError):  # a copy without the passphrase opens nothing
            serialization.load_pem_private_key(pem, password=None)
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(pem, password=b"guess")
    phrase = (folder / "passphrase").read_bytes().strip()
    key = serialization.load_pem_private_key((folder / "signing.key.pem").read_bytes(), phrase)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"

    ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    cert = x509.load_pem_x509_certificate((folder / "signing.pem").read_bytes())
    assert cert == identity.certificate and identity.root == ca
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ca_usage.key_cert_sign and ca_usage.crl_sign and not ca_usage.digital_signature
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    org = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert len(org) <= 64 and org.startswith("Муниципальное бюджетное") and org.endswith("…")
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == keys.SEAL_CN
    assert ca.not_valid_after_utc - ca.not_valid_before_utc > timedelta(days=365 * 29)

    done = subprocess.run(["openssl", "verify", "-CAfile", str(folder / "ca.pem"),
                           str(folder / "signing.pem")], capture_output=True, text=True)
    assert done.returncode == 0 and ": OK" in done.stdout, done.stdout + done.stderr


def test_describe_shows_what_openssl_shows(tmp_path):
    folder = tmp_path / "school"
    keys.init_school_keys(folder, school_name="Школа № 1", now=NOW, signing_years=3)
    info = keys.describe(folder, now=NOW + timedelta(days=10))
    for name, field in (("ca.pem", "ca_fingerprint"), ("signing.pem", "signing_fingerprint")):
        out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                              str(folder / name)], capture_output=True, text=True, check=True)
        assert out.stdout.strip().split("=", 1)[1] == info[field]
    assert info["algorithm"] == "ECDSA P-256" and info["imported"] is False
    assert info["not_before"] == "28.11.2026" and info["history"] == 0
    assert info["days_left"] == 365 * 3 - 10
    assert "Школа № 1" in info["subject"] and "Школа № 1" in info["ca_subject"]
    assert keys.export_ca_pem(folder) == (folder / "ca.pem").read_bytes()


def test_a_second_init_refuses_and_changes_nothing(tmp_path):
    folder = tmp_path / "school"
    keys.init_school_keys(folder, school_name="Школа № 1")
    before = _snapshot(folder)
    with pytest.raises(keys.KeyStoreError, match="уже создана.*ezh keys rotate"):
        keys.init_school_keys(folder, school_name="Другая школа", algorithm="rsa-3072")
    assert _snapshot(folder) == before


def test_the_passphrase_is_a_separate_file_and_a_wrong_or_missing_one_is_named(tmp_path):
    folder, phrase = tmp_path / "school", tmp_path / "etc-ezh" / "seal-passphrase"
    keys.init_school_keys(folder, school_name="Школа", passphrase_file=phrase, now=NOW)
    assert not (folder / "passphrase").exists() and _mode(phrase) == 0o600
    assert keys.load_identity(folder, passphrase_file=phrase, now=NOW).certificate
    with pytest.raises(keys.KeyStoreError, match=r"нет файла пароля ключа печати .*passphrase"):
        keys.load_identity(folder, now=NOW)  # the folder alone (a backup) cannot seal
    (tmp_path / "wrong").write_text("не тот пароль\n")
    with pytest.raises(keys.KeyStoreError, match="signing.key.pem не открывается этим паролем"):
        keys.load_identity(folder, passphrase_file=tmp_path / "wrong", now=NOW)
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(keys.KeyStoreError, match="пуст"):
        keys.load_identity(folder, passphrase_file=tmp_path / "empty", now=NOW)
    with pytest.raises(keys.KeyStoreError, match="ключ печати не создан.*ezh keys init"):
        keys.load_identity(tmp_path / "nothing")
    with pytest.raises(keys.KeyStoreError, match="ezh keys init"):
        keys.trust_roots(tmp_path / "nothing")


def test_an_expired_or_not_yet_valid_certificate_is_refused_with_its_date(tmp_path):
    folder = tmp_path / "school"
    keys.init_school_keys(folder, school_name="Школа", now=NOW, signing_years=1)
    ends = x509.load_pem_x509_certificate((folder / "signing.pem").read_bytes()).not_valid_after_utc
    assert keys.load_identity(folder, now=ends - timedelta(minutes=1))
    with pytest.raises(keys.KeyStoreError) as caught:
        keys.load_identity(folder, now=ends + timedelta(days=1))
    assert str(caught.value) == (f"срок действия сертификата печати истёк {ends:%d.%m.%Y}: "
                                 "выполните ezh keys rotate")
    assert f"{ends:%d.%m.%Y}" == "28.11.2027"
    with pytest.raises(keys.KeyStoreError, match="начнётся только 28.11.2026.*часы сервера"):
        keys.load_identity(folder, now=NOW - timedelta(days=1))
    # the remedy works: a rotated seal opens at the same moment
    keys.rotate(folder, now=ends + timedelta(days=1))
    assert keys.load_identity(folder, now=ends + timedelta(days=1))


def test_rotation_keeps_the_old_certificate_and_the_trust_root(tmp_path):
    folder = tmp_path / "school"
    first = keys.init_school_keys(folder, school_name="Школа № 1", now=NOW)
    second = keys.rotate(folder, now=NOW + timedelta(days=700))
    assert second.certificate != first.certificate and second.root == first.root
    assert second.certificate.issuer == first.root.subject
    retired = list((folder / "history").iterdir())
    assert len(retired) == 1 and retired[0].name.startswith("20281028T090000Z-")
    assert (retired[0] / "signing.pem").read_bytes() == first.certificate.public_bytes(
        serialization.Encoding.PEM)
    assert keys.trust_roots(folder) == [first.root]  # the same CA, counted once
    assert keys.all_signing_certificates(folder) == [second.certificate, first.certificate]
    loaded = keys.load_identity(folder, now=NOW + timedelta(days=700))
    assert loaded.certificate == second.certificate
    assert _mode(folder / "signing.key.pem") == 0o600
    assert keys.describe(folder)["history"] == 1
    third = keys.rotate(folder, now=NOW + timedelta(days=701))
    assert third.certificate not in (first.certificate, second.certificate)
    assert len(keys.all_signing_certificates(folder)) == 3


def test_a_key_that_does_not_match_the_certificate_is_named(tmp_path):
    """A half-restored folder (key from one backup, certificate from another) must not seal:
    its seals would never verify."""
    folder = tmp_path / "school"
    keys.init_school_keys(folder, school_name="Школа")
    phrase = (folder / "passphrase").read_bytes().strip()
    stray = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(phrase))
    (folder / "signing.key.pem").write_bytes(stray)
    with pytest.raises(keys.KeyStoreError, match="signing.key.pem не соответствует сертификату"):
        keys.load_identity(folder)


def test_rsa_3072_is_made_and_rotated_as_rsa(tmp_path):
    folder = tmp_path / "school"
    identity = keys.init_school_keys(folder, school_name="Школа", algorithm="rsa-3072")
    assert isinstance(identity.key, rsa.RSAPrivateKey) and identity.key.key_size == 3072
    assert keys.describe(folder)["algorithm"] == "RSA-3072"
    assert isinstance(keys.rotate(folder).key, rsa.RSAPrivateKey)
    assert isinstance(keys.load_identity(folder).key, rsa.RSAPrivateKey)
    with pytest.raises(keys.KeyStoreError, match="алгоритм dsa-1024 не поддерживается"):
        keys.init_school_keys(tmp_path / "other", school_name="Школа", algorithm="dsa-1024")
    assert not (tmp_path / "other" / "signing.pem").exists()


def test_a_pkcs12_from_an_external_ca_is_imported_over_the_school_keys(tmp_path):
    folder = tmp_path / "school"
    own = keys.init_school_keys(folder, school_name="Школа № 1")
    outside = make_identity("Внешний УЦ (тест)")
    imported = keys.import_pkcs12(folder, _p12(outside), b"pw")
    assert imported.certificate == outside.certificate and imported.root == outside.root
    loaded = keys.load_identity(folder)
    assert loaded.certificate == outside.certificate and loaded.chain == outside.chain
    assert _mode(folder / "signing.key.pem") == 0o600
    assert b"ENCRYPTED" in (folder / "signing.key.pem").read_bytes()
    assert not (folder / "ca.key.pem").exists()  # the school CA issues no more seals
    info = keys.describe(folder)
    assert info["imported"] is True and info["history"] == 1
    roots = keys.trust_roots(folder)
    assert outside.root in roots and own.root in roots  # documents sealed before still check
    with pytest.raises(keys.KeyStoreError, match="импортируйте новый PKCS#12"):
        keys.rotate(folder)
    # a second import replaces the first, which goes to history too
    newer = make_identity("Внешний УЦ (тест)")
    keys.import_pkcs12(folder, _p12(newer, password=b"x"), b"x")
    assert keys.load_identity(folder).certificate == newer.certificate
    assert keys.describe(folder)["history"] == 2


def test_a_pkcs12_that_cannot_seal_is_refused_and_nothing_changes(tmp_path):
    folder = tmp_path / "school"
    keys.init_school_keys(folder, school_name="Школа № 1")
    before = _snapshot(folder)
    outside = make_identity("Внешний УЦ (тест)")
    other = make_identity("Ещё один УЦ")
    ca_only = pkcs12.serialize_key_and_certificates(
        b"ca", None, None, [outside.root], serialization.NoEncryption())
    cases = [
        (_p12(outside), b"not it", "неверный пароль"),
        (b"not a p12 at all", None, "PKCS#12 не прочитан"),
        (ca_only, None, "нет закрытого ключа"),
        (_p12(outside, key=False), b"pw", "нет закрытого ключа"),
        (_p12(outside, chain=()), b"pw", "нет цепочки до корневого"),
        (_p12(outside, chain=other.chain), b"pw", "нет цепочки до корневого"),
    ]
    for data, password, message in cases:
        with pytest.raises(keys.KeyStoreError, match=message):
            keys.import_pkcs12(folder, data, password)
    # the CA's own key and certificate: a CA certificate is not a seal
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "УЦ")])
    now = datetime.now(UTC)
    ca_cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(ca_key.public_key()).serial_number(1)
               .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=9))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .sign(ca_key, hashes.SHA256()))
    ca_p12 = pkcs12.serialize_key_and_certificates(b"ca", ca_key, ca_cert, [ca_cert],
                                                   serialization.NoEncryption())
    with pytest.raises(keys.KeyStoreError, match="сертификат удостоверяющего центра"):
        keys.import_pkcs12(folder, ca_p12, None)
    # expired by the time it is imported
    with pytest.raises(keys.KeyStoreError, match=r"истёк \d\d\.\d\d\.\d{4}"):
        keys.import_pkcs12(folder, _p12(outside), b"pw", now=now + timedelta(days=400))
    assert _snapshot(folder) == before


def test_a_pkcs12_whose_issuers_come_in_any_order_is_imported_in_order(tmp_path):
    """An external CA with an intermediate: the PKCS#12 lists root first; the store keeps the
    chain leaf-to-root and trusts the root."""
    now = datetime.now(UTC)

    def cert(subject, issuer, key, signer, *, ca):
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
             .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=90))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        return b.sign(signer, hashes.SHA256())

    root_key, mid_key, key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = cert("Корень", "Корень", root_key, root_key, ca=True)
    mid = cert("Промежуточный", "Корень", mid_key, root_key, ca=True)
    leaf = cert("Печать", "Промежуточный", key, mid_key, ca=False)
    data = pkcs12.serialize_key_and_certificates(b"s", key, leaf, [root, mid],
                                                 serialization.NoEncryption())
    folder = tmp_path / "school"
    identity = keys.import_pkcs12(folder, data, None)
    assert identity.chain == (mid, root) and keys.trust_roots(folder) == [root]
    assert keys.load_identity(folder).chain == (mid, root)


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
    return subprocess.run([sys.executable, "-m", "archive", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


def test_python_m_archive_keys_init_show_rotate_and_refusals(tmp_path):
    folder = tmp_path / "school"
    done = _cli("keys", "init", "--dir", str(folder), "--school", "Школа № 1")
    assert done.returncode == 0, done.stderr
    assert "Электронная печать системы создана" in done.stdout
    fingerprint = keys.describe(folder)["ca_fingerprint"]
    assert f"Отпечаток корневого (SHA-256): {fingerprint}" in done.stdout
    again = _cli("keys", "init", "--dir", str(folder), "--school", "Школа № 1")
    assert again.returncode == 1 and "ezh keys rotate" in again.stderr
    assert "Traceback" not in again.stderr
    rotated = _cli("keys", "rotate", "--dir", str(folder))
    assert rotated.returncode == 0 and "Прежних сертификатов: 1" in rotated.stdout
    shown = _cli("keys", "show", "--dir", str(folder))
    assert shown.returncode == 0 and "Алгоритм: ECDSA P-256" in shown.stdout
    out = tmp_path / "ca.pem"
    assert _cli("keys", "export-ca", "--dir", str(folder), "--output", str(out)).returncode == 0
    assert x509.load_pem_x509_certificates(out.read_bytes()) == keys.trust_roots(folder)
    missing = _cli("keys", "show", "--dir", str(tmp_path / "none"))
    assert missing.returncode == 1 and "ezh keys init" in missing.stderr
    p12 = tmp_path / "seal.p12"
    p12.write_bytes(_p12(make_identity("Внешний УЦ"), password=b"secret"))
    (tmp_path / "pw").write_text("secret\n")
    bad = _cli("keys", "import", str(p12), "--dir", str(folder))
    assert bad.returncode == 1 and "неверный пароль" in bad.stderr
    good = _cli("keys", "import", str(p12), "--dir", str(folder),
                "--password-file", str(tmp_path / "pw"))
    assert good.returncode == 0 and "Импортирован из внешнего УЦ: да" in good.stdout, good.stderr
    usage = _cli("keys", "init", "--dir", str(folder))
    assert usage.returncode == 2 and "ошибка в аргументах" in usage.stderr

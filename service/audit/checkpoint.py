"""The installation key and signed checkpoints of the audit chain.

A chain alone proves nothing against someone who can rewrite all of it; a checkpoint is a
short statement of the chain's head (count, last hash, time), signed with the installation's
own Ed25519 key kept outside the database. Kept off the server (backups, paper), it lets
``ezh audit verify`` — or plain ``openssl pkeyutl -verify`` — prove the log was not rewritten.

Only ``ezh audit checkpoint`` (and ``ezh migrate``, which creates the pair) needs the private
key: the web service never signs, so on the appliance the key belongs to root and a timer signs
every hour, while the service's account can read only the public key, to verify.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PRIVATE_NAME = "installation.key"
PUBLIC_NAME = "installation.pub"
HEADER = "ezh: контрольная точка журнала аудита"


class CheckpointError(Exception):
    pass


def ensure_installation_key(key_dir: Path) -> Ed25519PrivateKey:
    """Load the installation key, creating it (mode 0600) on first start."""
    private_path = key_dir / PRIVATE_NAME
    if private_path.exists():
        return load_private_key(key_dir)
    if (key_dir / PUBLIC_NAME).exists():
        # A lost key must not be replaced silently: every checkpoint made with it would stop
        # verifying, and nobody would know why.
        raise CheckpointError(
            f"ключ установки {private_path} пропал, а открытый ключ {key_dir / PUBLIC_NAME} на "
            "месте. Восстановите ключ из резервной копии. Начать новую пару ключей можно, только "
            "убрав открытый ключ сознательно (старые контрольные точки сохраните вместе с ним)")
    if not key_dir.exists():
        # Readable by all: whoever verifies (the service's account too) needs the public key
        # here; the private key is protected by its own mode 0600.
        key_dir.mkdir(parents=True)
        key_dir.chmod(0o755)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    (key_dir / PUBLIC_NAME).write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    (key_dir / PUBLIC_NAME).chmod(0o644)
    return key


def load_private_key(key_dir: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key((key_dir / PRIVATE_NAME).read_bytes(), None)
    except PermissionError:
        raise CheckpointError(
            f"ключ установки {key_dir / PRIVATE_NAME} недоступен этому пользователю: контрольную "
            "точку подписывает владелец ключа (на сервере — root: sudo ezh audit checkpoint)"
        ) from None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"ключ установки {key_dir / PRIVATE_NAME} не читается: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{key_dir / PRIVATE_NAME}: это не ключ Ed25519")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"открытый ключ {path} не читается: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"{path}: это не ключ Ed25519")
    return key


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True)
class Checkpoint:
    count: int
    last_hash: str
    at: datetime
    key_fingerprint: str
    school: str

    @property
    def at_text(self) -> str:
        return self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    def statement(self) -> bytes:
        """The exact bytes that are signed: a few lines a person can read off paper."""
        return (
            f"{HEADER}\n"
            f"школа: {self.school}\n"
            f"записей: {self.count}\n"
            f"хеш последней записи: {self.last_hash}\n"
            f"время: {self.at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
            f"ключ установки: {self.key_fingerprint}\n"
        ).encode()

    @classmethod
    def parse(cls, data: bytes) -> Checkpoint:
        try:
            lines = data.decode("utf-8").splitlines()
            if lines[0] != HEADER:
                raise ValueError("нет заголовка")
            fields = dict(line.split(": ", 1) for line in lines[1:])
            return cls(
                count=int(fields["записей"]),
                last_hash=fields["хеш последней записи"],
                at=datetime.strptime(fields["время"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
                key_fingerprint=fields["ключ установки"],
                school=fields["школа"],
            )
        except (ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"это не контрольная точка ezh ({exc})") from exc


def write_checkpoint(cp: Checkpoint, key: Ed25519PrivateKey, directory: Path) -> Path:
    if not directory.exists():
        directory.mkdir(parents=True)
        directory.chmod(0o755)  # whatever root's umask: the service's account verifies
    stamp = cp.at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"checkpoint-{stamp}-{cp.count}.txt"
    statement = cp.statement()
    signature = path.with_suffix(".txt.sig")
    path.write_bytes(statement)
    signature.write_bytes(key.sign(statement))
    for written in (path, signature):
        written.chmod(0o644)  # signed by root, verified by the service's account
    return path


def read_checkpoint(path: Path, public_key: Ed25519PublicKey) -> Checkpoint:
    """Read a checkpoint and check its signature (``<file>.sig``, raw or base64)."""
    try:
        statement = path.read_bytes()
        signature = Path(str(path) + ".sig").read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{exc.filename}: {exc.strerror}") from exc
    if len(signature) != 64:
        try:
            signature = base64.b64decode(signature.strip(), validate=True)
        except ValueError:
            raise CheckpointError(f"{path}.sig: подпись повреждена") from None
    try:
        public_key.verify(signature, statement)
    except InvalidSignature:
        raise CheckpointError(
            f"{path}: подпись не сходится с ключом установки: контрольная точка подделана "
            "или сделана другой установкой"
        ) from None
    cp = Checkpoint.parse(statement)
    if cp.key_fingerprint != fingerprint(public_key):
        raise CheckpointError(f"{path}: сделана другой установкой (ключ {cp.key_fingerprint})")
    return cp


def latest_checkpoints(directory: Path) -> list[Path]:
    if not directory.exists():
        return []
    return sorted(directory.glob("checkpoint-*.txt"))

"""A narrow wrapper around the ``borg`` command (borg has no stable Python API).

Every call runs ``borg --log-json`` with a cleaned environment: the repository, the passphrase
handed over on a file descriptor (never in the environment or on the command line, where
``ps`` would show it), and borg's cache/config/security folders under the caller's state
directory, so that nothing depends on root's home. Failures become :class:`BorgError` with a
Russian sentence chosen from borg's message id (``msgid`` of ``--log-json``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ENCRYPTION = "repokey-blake2"  # key in the repository (paper copy for the safe), BLAKE2b MAC


class BorgError(Exception):
    """A borg command failed; ``message`` says what happened and what to do, in Russian."""

    def __init__(self, message: str, *, msgid: str = "", stderr: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.msgid = msgid
        self.stderr = stderr


# borg's message ids → what an administrator should read.
_MESSAGES = {
    "PassphraseWrong": "неверный пароль резервных копий (файл пароля не подходит к хранилищу). "
                       "Проверьте EZH_BACKUP_PASSPHRASE_FILE: нужен тот пароль, с которым "
                       "хранилище создано (он записан на бумаге в сейфе)",
    "Repository.DoesNotExist": "хранилища резервных копий {repo} нет. Создайте его: ezh backup init "
                               "(или проверьте EZH_BACKUP_REPOSITORY)",
    "Repository.InvalidRepository": "{repo} — не хранилище borg. Проверьте EZH_BACKUP_REPOSITORY",
    "Repository.AlreadyExists": "хранилище {repo} уже существует",
    "Repository.ParentPathDoesNotExist": "каталога для хранилища {repo} нет",
    "LockTimeout": "хранилище {repo} занято другой резервной копией (или осталась блокировка "
                   "после сбоя). Дождитесь её конца; если копий точно не идёт: borg break-lock",
    "LockFailed": "не удалось заблокировать хранилище {repo}",
    "Archive.DoesNotExist": "в хранилище нет такого архива. Список: ezh backup list",
    "Archive.AlreadyExists": "архив с таким именем уже есть",
    "RepoKeyNotFoundError": "в хранилище {repo} нет ключа шифрования: импортируйте бумажный ключ "
                            "(borg key import --paper)",
    "Cache.RepositoryAccessAborted": "хранилище {repo} раньше было в другом месте: проверьте, "
                                     "то ли это хранилище (EZH_BACKUP_REPOSITORY)",
    "Repository.CheckNeeded": "хранилище {repo} повреждено: нужна проверка (borg check --repair "
                              "— только по указанию, сначала прочитайте раздел «Резервные копии»)",
    "Repository.ObjectNotFound": "в хранилище {repo} не хватает данных: оно повреждено",
    "IntegrityError": "хранилище {repo} повреждено (не сходятся контрольные суммы)",
}

NO_SPACE = ("на диске с хранилищем {repo} кончилось место: копия не сделана, прежние архивы "
            "целы. Освободите место (или расширьте диск) и повторите ezh backup run")


def borg_available() -> bool:
    return shutil.which("borg") is not None


@dataclass(frozen=True)
class Repository:
    """A borg repository and the file holding its passphrase (root-only, 0600)."""

    path: Path
    passphrase_file: Path
    state_dir: Path  # borg's cache, config and security folders live under <state_dir>/borg
    relocatable: bool = False  # a removable disk: mounted at /media/… under varying names

    def run(self, *args: str, input_fd_passphrase: bool = True, lock_wait: int = 5,
            timeout: float | None = None, cwd: Path | None = None) -> str:
        """``borg --log-json <args>``, the repository in BORG_REPO; stdout on success."""
        if not borg_available():
            raise BorgError("программа borg не установлена: apt-get install borgbackup")
        env = self._environment()
        pass_fds: tuple[int, ...] = ()
        reader = writer = -1
        if input_fd_passphrase:
            passphrase = self.read_passphrase()
            # A pipe rather than the file's own descriptor: borg closes what it reads, and the
            # pipe leaves no readable copy anywhere.
            reader, writer = os.pipe()
            os.write(writer, passphrase.encode())
            os.close(writer)
            env["BORG_PASSPHRASE_FD"] = str(reader)
            pass_fds = (reader,)
        try:
            out = subprocess.run(["borg", "--log-json", "--lock-wait", str(lock_wait), *args],
                                 env=env, pass_fds=pass_fds, capture_output=True, text=True,
                                 timeout=timeout, cwd=cwd)
        except subprocess.TimeoutExpired:
            raise BorgError(f"borg {args[0]} не закончил за {timeout:.0f} с") from None
        finally:
            if reader >= 0:
                os.close(reader)
        if out.returncode == 0 or (out.returncode == 1 and args[0] not in ("check",)):
            # 1 is «warning» (e.g. a file changed while read): the archive exists.
            return out.stdout
        raise self.error(out.stderr, args[0])

    def error(self, stderr: str, command: str) -> BorgError:
        msgid, text = "", ""
        for line in stderr.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                text = text or line.strip()
                continue
            if entry.get("levelname") in ("ERROR", "CRITICAL"):
                msgid = msgid or entry.get("msgid", "")
                text = text or entry.get("message", "")
        raw = stderr.lower()
        if "no space left" in raw or "errno 28" in raw or "disk full" in raw:
            return BorgError(NO_SPACE.format(repo=self.path), msgid="NoSpace", stderr=stderr)
        if msgid in _MESSAGES:
            return BorgError(_MESSAGES[msgid].format(repo=self.path), msgid=msgid, stderr=stderr)
        if command == "check":
            return BorgError(f"проверка хранилища {self.path} нашла повреждения: "
                             f"{_last_line(stderr)}", msgid="CheckFailed", stderr=stderr)
        return BorgError(f"borg {command}: {text or _last_line(stderr) or 'ошибка'}",
                         msgid=msgid, stderr=stderr)

    def _environment(self) -> dict[str, str]:
        base = self.state_dir / "borg"
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(base),
            "BORG_REPO": str(self.path),
            "BORG_BASE_DIR": str(base),
            # Never answer borg's questions with yes: a moved or unencrypted repository is a
            # reason to stop and look, not to carry on.
            "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes" if self.relocatable else "no",
            "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "no",
            "BORG_CHECK_I_KNOW_WHAT_I_AM_DOING": "NO",
            "BORG_DELETE_I_KNOW_WHAT_I_AM_DOING": "NO",
        }

    # --- passphrase ----------------------------------------------------------------------

    def read_passphrase(self) -> str:
        try:
            text = self.passphrase_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise BorgError(f"файла пароля резервных копий {self.passphrase_file} нет: "
                            "ezh backup init создаёт его (или укажите EZH_BACKUP_PASSPHRASE_FILE)"
                            ) from None
        except PermissionError:
            raise BorgError(f"нет прав читать {self.passphrase_file}: резервные копии делает "
                            "root (sudo ezh backup …)") from None
        if not text:
            raise BorgError(f"файл пароля {self.passphrase_file} пуст")
        return text

    # --- typed commands ------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.path / "config").is_file()

    def init(self) -> None:
        self.run("init", "--encryption", ENCRYPTION, "--make-parent-dirs")

    def create(self, archive: str, paths: Sequence[str], *, cwd: Path,
               excludes: Sequence[str] = (), comment: str = "") -> dict:
        args = ["create", "--json", "--compression", "zstd,3", "--one-file-system"]
        for pattern in excludes:
            args += ["--exclude", pattern]
        if comment:
            args += ["--comment", comment]
        out = self.run(*args, f"::{archive}", *paths, cwd=cwd)
        return json.loads(out)

    def archives(self, glob: str = "") -> list[dict]:
        args = ["list", "--json"]
        if glob:
            args += ["--glob-archives", glob]
        return json.loads(self.run(*args))["archives"]

    def prune(self, glob: str, keep: dict[str, int]) -> None:
        args = ["prune", "--glob-archives", glob]
        for rule, n in keep.items():
            args += [f"--keep-{rule}", str(n)]
        self.run(*args)

    def compact(self) -> None:
        self.run("compact")

    def check(self, *, verify_data: bool = False) -> None:
        self.run("check", *(["--verify-data"] if verify_data else []), timeout=None)

    def extract(self, archive: str, target: Path, paths: Sequence[str] = ()) -> None:
        target.mkdir(parents=True, exist_ok=True)
        self.run("extract", f"::{archive}", *paths, cwd=target)

    def read_file(self, archive: str, path: str) -> bytes:
        env_out = self.run("extract", "--stdout", f"::{archive}", path)
        return env_out.encode("utf-8", "surrogateescape")

    def info(self, archive: str) -> dict:
        return json.loads(self.run("info", "--json", f"::{archive}"))["archives"][0]

    def repository_info(self) -> dict:
        return json.loads(self.run("info", "--json"))

    def key_export_paper(self) -> str:
        return self.run("key", "export", "--paper")

    def key_export_html(self, target: Path) -> None:
        self.run("key", "export", "--qr-html", str(self.path), str(target))


def _last_line(stderr: str) -> str:
    for line in reversed(stderr.splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            if line.strip():
                return line.strip()
            continue
        if entry.get("message"):
            return str(entry["message"]).strip().splitlines()[-1]
    return ""

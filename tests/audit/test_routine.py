"""R-SEC-3, the checkpoint routine (issue 6 item 13): the service runs without the installation
key, so the key can belong to root; `ezh audit checkpoint` is a quiet periodic command; a stale
or missing checkpoint is shown by `ezh audit verify` and `ezh check` without failing them."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.audit.checkpoint import (
    Checkpoint,
    ensure_installation_key,
    fingerprint,
    write_checkpoint,
)
from service.settings import get_settings, load_settings, set_settings
from tests.test_cli import EZH, ROOT, run


@pytest.fixture
def site(tmp_path) -> dict:
    """A migrated installation on SQLite, its key and checkpoints under its own var/."""
    env = {"EZH_VAR_DIR": str(tmp_path / "var"),
           "EZH_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'ezh.sqlite3'}",
           "EZH_LOG_JSON": "false"}
    out = run(env, "migrate")
    assert out.returncode == 0, out.stderr
    return env


def _head(site: dict) -> tuple[int, str]:
    with sqlite3.connect(site["EZH_DATABASE_URL"].removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()


def _checkpoint_made(site: dict, hours_ago: int) -> None:
    """A genuine checkpoint of the current head, signed as if the routine ran hours ago."""
    var = Path(site["EZH_VAR_DIR"])
    key = ensure_installation_key(var / "keys")
    seq, last_hash = _head(site)
    cp = Checkpoint(seq, last_hash, datetime.now(UTC) - timedelta(hours=hours_ago),
                    fingerprint(key.public_key()), "Школа")
    write_checkpoint(cp, key, var / "checkpoints")


def test_checkpoint_is_one_quiet_line_for_a_timer(site):
    out = subprocess.run([*EZH, "audit", "checkpoint"], cwd=ROOT, env=_env(site),
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 1 and out.stderr == ""
    seq, _ = _head(site)
    assert lines[0].startswith("Контрольная точка записана: ") and f"записей: {seq}" in lines[0]
    assert "вне сервера" in lines[0]


def test_missing_and_stale_checkpoints_warn_without_failing(site):
    verify = run(site, "audit", "verify")
    assert verify.returncode == 0
    assert "ВНИМАНИЕ: контрольных точек нет" in verify.stdout
    check = run(site, "check")
    assert "ВНИМ  журнал аудита" in check.stdout and "контрольных точек нет" in check.stdout
    assert "OK    журнал аудита" not in check.stdout

    _checkpoint_made(site, hours_ago=30)
    verify = run(site, "audit", "verify")
    assert verify.returncode == 0, verify.stdout
    assert "совпадает с контрольной точкой" in verify.stdout
    warning = [line for line in verify.stdout.splitlines() if line.startswith("ВНИМАНИЕ")]
    assert len(warning) == 1
    assert "30 часов назад" in warning[0] and "EZH_CHECKPOINT_MAX_AGE_HOURS" in warning[0]
    check = run(site, "check")
    assert "ВНИМ  журнал аудита" in check.stdout and "30 часов назад" in check.stdout
    assert "СБОЙ  журнал аудита" not in check.stdout

    relaxed = run({**site, "EZH_CHECKPOINT_MAX_AGE_HOURS": "48"}, "audit", "verify")
    assert relaxed.returncode == 0 and "ВНИМАНИЕ" not in relaxed.stdout

    assert run(site, "audit", "checkpoint").returncode == 0
    verify = run(site, "audit", "verify")
    assert verify.returncode == 0 and "ВНИМАНИЕ" not in verify.stdout
    assert "OK    журнал аудита" in run(site, "check").stdout


def test_bad_max_age_names_the_setting(site):
    out = run({**site, "EZH_CHECKPOINT_MAX_AGE_HOURS": "0"}, "audit", "verify")
    assert out.returncode == 2
    assert "EZH_CHECKPOINT_MAX_AGE_HOURS: ожидается положительное число" in out.stderr


def test_service_runs_without_the_installation_key(site, tmp_path):
    """On the appliance the key belongs to root and the service's account cannot read it: the
    service must start and keep its own CSRF secret outside the key's directory."""
    keys = Path(site["EZH_VAR_DIR"]) / "keys"
    (keys / "installation.key").unlink()
    port = _free_port()
    server = subprocess.Popen([*EZH, "serve", "--port", str(port)], cwd=ROOT, env=_env(site),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        status = _wait_for(f"http://127.0.0.1:{port}/healthz", server)
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert status == 200, out + err
    assert not (keys / "csrf.secret").exists()
    assert (Path(site["EZH_VAR_DIR"]) / "csrf.secret").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in keys.iterdir()) == ["installation.pub"]
    # signing still needs the key, and says so
    out = run(site, "audit", "checkpoint")
    assert out.returncode == 2 and "пропал" in out.stderr


def test_old_csrf_secret_keeps_working(tmp_path):
    """An installation from before the move keeps its secret (open forms stay valid)."""
    from service.app import _csrf_secret

    var, keys = tmp_path / "var", tmp_path / "keys"
    keys.mkdir()
    (keys / "csrf.secret").write_text("старый-секрет-0123456789\n")
    before = get_settings()
    set_settings(load_settings({"EZH_VAR_DIR": str(var), "EZH_KEY_DIR": str(keys)}))
    try:
        assert _csrf_secret() == "старый-секрет-0123456789"
        assert (var / "csrf.secret").read_text().strip() == "старый-секрет-0123456789"
        (keys / "csrf.secret").unlink()
        assert _csrf_secret() == "старый-секрет-0123456789"
    finally:
        set_settings(before)


def test_key_directory_lets_everyone_verify_but_only_the_owner_sign(tmp_path):
    """Made by root's `ezh audit checkpoint`, even under a strict umask, the key's directory and
    the checkpoints still let the service's account verify; the private key stays 0600."""
    import os

    old_umask = os.umask(0o077)
    try:
        key = ensure_installation_key(tmp_path / "keys")
        cp = Checkpoint(1, "ab" * 32, datetime.now(UTC), fingerprint(key.public_key()), "Школа")
        path = write_checkpoint(cp, key, tmp_path / "checkpoints")
    finally:
        os.umask(old_umask)
    modes = {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777
             for p in [tmp_path / "keys", *(tmp_path / "keys").iterdir(),
                       tmp_path / "checkpoints", *(tmp_path / "checkpoints").iterdir()]}
    assert modes == {"keys": 0o755, "keys/installation.pub": 0o644, "keys/installation.key": 0o600,
                     "checkpoints": 0o755, f"checkpoints/{path.name}": 0o644,
                     f"checkpoints/{path.name}.sig": 0o644}


def _env(site: dict) -> dict:
    import os

    return {**{k: v for k, v in os.environ.items() if not k.startswith("EZH_")}, **site}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen) -> int | None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.2)
    return None

"""A small installation for backup tests: real folders, a real borg repository, the database
of the ``db`` fixture, and an audit checkpoint signed with a real installation key."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from backups.borg import Repository
from backups.manifest import is_sqlite, manifest_for, sqlite_path
from backups.run import BackupConfig, init_repository
from service import db as dbmod

ROOT = Path(__file__).resolve().parents[2]
EZH = [sys.executable, "-m", "service.cli"]


@dataclass
class Site:
    root: Path
    url: str
    cfg: BackupConfig

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def state(self) -> Path:
        return self.cfg.state_dir


def make_site(root: Path, url: str, *, repository: Path | None = None) -> Site:
    for name in ("etc", "keys", "checkpoints", "uploads"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "etc" / "ezh.toml").write_text('[school]\nname = "Школа № 1"\n', encoding="utf-8")
    (root / "uploads" / "приказ.pdf").write_bytes(b"%PDF-1.4 test\n")
    state = root / "state"
    repo = Repository(repository or root / "repo", root / "etc" / "backup.passphrase", state)
    manifest = manifest_for(url, config_dir=root / "etc", key_dir=root / "keys",
                            checkpoint_dir=root / "checkpoints", uploads_dir=root / "uploads",
                            packages_dir=root / "packages", passphrase_file=repo.passphrase_file,
                            ezh_version="0.1.0")
    cfg = BackupConfig(repo, manifest, state)
    init_repository(repo)
    return Site(root, url, cfg)


def run_async(coro):
    return asyncio.run(coro)


async def _write_data(n: int) -> None:
    from service.accounts.actions import do_create_person
    from service.audit.log import Actor

    actor = Actor.system("tests")
    for i in range(n):
        await do_create_person(actor, f"Иванова-{i}", "Мария", "Петровна")
    await dbmod.close_pool()


def write_data(n: int = 3) -> None:
    """``n`` people created by the real audited action (each an audit row)."""
    run_async(_write_data(n))


async def _checkpoint(site: Site) -> Path:
    from service.audit.checkpoint import (
        Checkpoint,
        ensure_installation_key,
        fingerprint,
        write_checkpoint,
    )
    from service.audit.verify import verify_chain

    result = await verify_chain()
    assert result.ok
    key = ensure_installation_key(site.keys)
    cp = Checkpoint(count=result.count, last_hash=result.last_hash, at=datetime.now(UTC),
                    key_fingerprint=fingerprint(key.public_key()), school="Школа № 1")
    path = write_checkpoint(cp, key, site.checkpoints)
    await dbmod.close_pool()
    return path


def checkpoint(site: Site) -> Path:
    path = run_async(_checkpoint(site))
    # Two checkpoints within one second would share a name stem: keep them apart.
    import time

    time.sleep(1.05)
    return path


def verify_chain(url: str):
    from service.audit.verify import verify_chain as verify

    dbmod.use_database(url)

    async def go():
        result = await verify()
        await dbmod.close_pool()
        return result

    return run_async(go())


def table_rows(url: str) -> dict[str, list]:
    """Every row of every table, in a stable order: what "everything is back" means."""
    if is_sqlite(url):
        conn = sqlite3.connect(sqlite_path(url))
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
            return {n: sorted(map(repr, conn.execute(f'SELECT * FROM "{n}"'))) for n in names}
        finally:
            conn.close()
    out = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", f"--dbname={url}", "-c",
         "SELECT tablename FROM pg_tables WHERE schemaname='public' ORDER BY 1"],
        capture_output=True, text=True, check=True)
    rows = {}
    for name in out.stdout.split():
        dump = subprocess.run(["psql", "-X", "-q", f"--dbname={url}", "-c",
                               f'COPY public."{name}" TO STDOUT'],
                              capture_output=True, text=True, check=True)
        rows[name] = sorted(dump.stdout.splitlines())
    return rows


def ezh_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
    env.update({"EZH_CONFIG": os.devnull, "EZH_LOG_JSON": "false", "EZH_LOG_LEVEL": "WARNING"})
    env.update(extra)
    return env


def largest_segment(repo: Path) -> Path:
    segments = [p for p in (repo / "data").rglob("*") if p.is_file() and p.name.isdigit()]
    return max(segments, key=lambda p: p.stat().st_size)

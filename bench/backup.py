"""Nightly backup plus restore drill for the L demo school on PostgreSQL (target: under 15
minutes together, issue 13).

A throwaway PostgreSQL cluster (tests/pg.py) gets a migrated database with the L demo school
and a signed audit checkpoint; then a first (full) backup into a fresh borg repository, a few
audited writes, a second (incremental) backup, and the drill (borg check, extract, restore into
a scratch database, row counts, `ezh audit verify`, `ezh serve` with /healthz and /login).
Results go to bench/results/backup.md.

    .venv/bin/python bench/backup.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import figures  # noqa: E402
from bench.isolated import ROOT  # noqa: E402  (first: settings of its own)
from bench.isolated import TMP as _TMP
from service import db as dbmod  # noqa: E402
from tests.pg import Cluster  # noqa: E402


async def _prepare(url: str, key_dir: Path, checkpoint_dir: Path) -> None:
    from service.accounts.actions import do_sync_rights
    from service.audit.checkpoint import (
        Checkpoint,
        ensure_installation_key,
        fingerprint,
        write_checkpoint,
    )
    from service.audit.log import Actor
    from service.audit.verify import verify_chain
    from service.demo import generate_demo_school

    dbmod.use_database(url)
    await dbmod.migrate(out=open(os.devnull, "w"))  # noqa: ASYNC230
    await do_sync_rights(Actor.system("bench"))
    await generate_demo_school("L", 2026)
    result = await verify_chain()
    key = ensure_installation_key(key_dir)
    write_checkpoint(Checkpoint(count=result.count, last_hash=result.last_hash,
                                at=datetime.now(UTC), key_fingerprint=fingerprint(key.public_key()),
                                school="Бенчмарк"), key, checkpoint_dir)
    await dbmod.close_pool()


async def _some_writes(n: int) -> None:
    from service.accounts.actions import do_create_person
    from service.audit.log import Actor

    for i in range(n):
        await do_create_person(Actor.system("bench"), f"Новикова-{i}", "Анна", "")
    await dbmod.close_pool()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/backup.md")
    args = parser.parse_args()

    from backups.borg import Repository
    from backups.drill import run_drill
    from backups.manifest import manifest_for
    from backups.run import BackupConfig, init_repository, run_backup
    from service.backup_commands import known_migrations

    site = _TMP / "site"
    for name in ("etc", "keys", "checkpoints"):
        (site / name).mkdir(parents=True)
    cluster = Cluster()
    cluster.start()
    try:
        cluster.psql("CREATE DATABASE ezh_bench")
        url = cluster.url("ezh_bench")
        asyncio.run(_prepare(url, site / "keys", site / "checkpoints"))
        repo = Repository(site / "repo", site / "passphrase", site / "state")
        init_repository(repo)
        manifest = manifest_for(url, config_dir=site / "etc", key_dir=site / "keys",
                                checkpoint_dir=site / "checkpoints", uploads_dir=None,
                                packages_dir=None, passphrase_file=repo.passphrase_file)
        cfg = BackupConfig(repo, manifest, site / "state")
        rows = []
        t = time.perf_counter()
        first = run_backup(cfg)
        rows.append(("первая (полная) копия", time.perf_counter() - t, first))
        asyncio.run(_some_writes(20))
        t = time.perf_counter()
        second = run_backup(cfg)
        rows.append(("вторая (добавочная) копия", time.perf_counter() - t, second))
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        env.update({"EZH_CONFIG": os.devnull, "EZH_LOG_JSON": "false"})
        t = time.perf_counter()
        drill = run_drill(cfg, ezh_command=[sys.executable, "-m", "service.cli"], base_env=env,
                          known_migrations=known_migrations())
        drill_seconds = time.perf_counter() - t
        dump_size = sum(first.details["row_counts"].values())
    finally:
        cluster.stop()
    for name, seconds, run in rows:
        print(f"{name}: {seconds:.1f} s, ok={run.ok}, {run.message}")
    print(f"drill: {drill_seconds:.1f} s, ok={drill.ok}, {drill.record.message}")
    total = rows[0][1] + drill_seconds
    lines = [
        "# Backup and restore drill (`bench/backup.py`)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `bench/backup.py`: L demo school (seed 2026, "
        f"{dump_size} rows) on PostgreSQL 15 (throwaway cluster, fsync off), "
        f"borg {subprocess.run(['borg', '--version'], capture_output=True, text=True).stdout.split()[-1]}"
        f" (Debian's package), repository on the local disk.",
        f"Machine: {os.cpu_count()} CPU (shared with other work), CPython {platform.python_version()}.",
        "",
        "Each backup is the whole `ezh backup run`: pg_dump (custom format, one snapshot with the "
        "row counts), `borg create`, prune, `borg compact`; the first one also runs the monthly "
        "`borg check --verify-data` (no check recorded yet). The drill is `ezh backup drill`.",
        "",
        "| step | seconds | added to the repository | result |",
        "|---|---:|---:|---|",
    ]
    for name, seconds, run in rows:
        steps = ", ".join(f"{k} {v:.1f}" for k, v in run.details.get("steps", {}).items())
        lines.append(f"| {name} ({steps}) | {seconds:.1f} | {run.size_bytes / 1024:.0f} KiB | "
                     f"{'OK' if run.ok else 'СБОЙ'} |")
    steps = ", ".join(f"{s.name} {s.seconds:.1f}" for s in drill.steps)
    lines.append(f"| проверка восстановления ({steps}) | {drill_seconds:.1f} | — | "
                 f"{'PASS' if drill.ok else 'FAIL'} |")
    first, second = rows[0][2].size_bytes, rows[1][2].size_bytes
    lines += ["", f"Nightly backup plus drill: **{total:.0f} s** (target: under 15 minutes).", "",
              f"The incremental archive adds {second / max(first, 1):.0%} of what the first one did: "
              "borg stores only the chunks of the dump that changed (a dump smaller than borg's "
              "average chunk of 2 MiB would be stored whole every night). Configuration, keys and "
              "checkpoints add a few KiB.", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    figures.save(args.out, {
        "school": "L", "ok": drill.ok and all(r.ok for _, _, r in rows),
        "backup_seconds": round(rows[0][1], 1), "incremental_seconds": round(rows[1][1], 1),
        "drill_seconds": round(drill_seconds, 1), "nightly_seconds": round(total, 1),
        "nightly_target_seconds": 900, "nightly_met": total <= 900})
    print(f"→ {args.out}")
    return 0 if drill.ok and all(r.ok for _, _, r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

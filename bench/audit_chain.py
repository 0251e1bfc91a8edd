"""Throughput of an audited write on PostgreSQL: one row changed + its audit row chained in
the same transaction (the design in docs/architecture.md), at several numbers of concurrent
writers. Afterwards the whole chain must verify. Results: bench/results/audit-chain.md.

    .venv/bin/python bench/audit_chain.py [--seconds 5] [--writers 1 4 10 24 50] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.isolated import ROOT  # noqa: E402  (first: settings of its own)
from service import db as dbmod  # noqa: E402
from service.accounts.tables import Person  # noqa: E402
from service.audit.log import Actor, record  # noqa: E402
from service.audit.verify import verify_chain  # noqa: E402
from tests.pg import Cluster  # noqa: E402


async def run_level(writers: int, seconds: float, person_ids: list[int]) -> tuple[int, float]:
    await dbmod.start_pool(writers)
    stop = time.perf_counter() + seconds
    counts = [0] * writers

    async def writer(n: int) -> None:
        actor = Actor(user_id=n, name=f"teacher{n}", address=f"10.0.0.{n % 250}")
        pid = person_ids[n]
        while time.perf_counter() < stop:
            value = str(counts[n] % 5 + 1)
            async with dbmod.atomic():
                await Person.update({Person.middle_name: value}).where(Person.id == pid).run()
                await record(actor, "bench.save", "person", pid, new={"value": value})
            counts[n] += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(writers)))
    elapsed = time.perf_counter() - started
    await dbmod.close_pool()
    return sum(counts), elapsed


async def main(args) -> None:
    cluster = Cluster()
    cluster.start()
    try:
        cluster.psql("CREATE DATABASE bench")
        dbmod.use_database(cluster.url("bench"))
        await dbmod.migrate(out=open(os.devnull, "w"))  # noqa: ASYNC230 - once, before timing
        rows = await Person.insert(*[Person(last_name="Тест", first_name=f"П{i}", created_at=datetime.now(UTC))
                                     for i in range(max(args.writers))]).returning(Person.id).run()
        ids = [r["id"] for r in rows]
        lines = []
        for writers in args.writers:
            saves, elapsed = await run_level(writers, args.seconds, ids)
            lines.append((writers, saves, elapsed, saves / elapsed))
            print(f"{writers:3} writers: {saves / elapsed:7.0f} saves/s ({saves} in {elapsed:.1f} s)")
        started = time.perf_counter()
        result = await verify_chain()
        verify_s = time.perf_counter() - started
        print(f"chain: {'ok' if result.ok else result.problem.message}, {result.count} rows, "
              f"verified in {verify_s:.1f} s")
    finally:
        cluster.stop()
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    table = "\n".join(f"| {w} | {s} | {e:.1f} | {r:.0f} |" for w, s, e, r in lines)
    out.write_text(
        "# Audited writes on PostgreSQL (hash chain inside the transaction)\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `bench/audit_chain.py` on {os.cpu_count()} CPUs, "
        f"CPython {platform.python_version()}, PostgreSQL 15 throwaway cluster (fsync off, unix socket). "
        "Each save = one UPDATE of the writer's own row + `record()` (advisory lock, read chain head, "
        "insert hashed row) in one transaction, through Piccolo with an asyncpg pool of as many "
        "connections as writers, all in one Python process (so the client shares the 2 cores).\n\n"
        "| concurrent writers | saves | seconds | saves/s |\n|---:|---:|---:|---:|\n" + table + "\n\n"
        f"Afterwards the chain of {result.count} rows verified "
        f"{'intact' if result.ok else 'BROKEN: ' + result.problem.message} in {verify_s:.1f} s "
        f"({result.count / verify_s:.0f} rows/s).\n", encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4, 10, 24, 50])
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/audit-chain.md")
    asyncio.run(main(parser.parse_args()))

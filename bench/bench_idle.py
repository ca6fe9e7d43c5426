"""Benchmark: what the stack costs when nothing happens.

Starts the five services (each in its ``all`` role: API, consumers, relay and
workers in one process) with their default settings on a fresh database and
topic namespace, lets them settle, then measures over a window with no
traffic: CPU of the service processes (from /proc, as a share of one core),
the CPU of PostgreSQL's and the Kafka broker's processes over the same window
(shared with anything else running on them), PostgreSQL transactions per
second in the stack's database (pg_stat_database), and the proportional set
size (PSS) of the service processes. Aim: services' CPU < 5 % of one core.
Usage: python bench/bench_idle.py [window seconds] [settle seconds]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import asyncpg
from benchstack import bench_stack

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` (its own threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def pss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pids_named(fragment: str) -> list[int]:
    """Processes whose command line contains ``fragment``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if fragment in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def total_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


async def main(window_s: float, settle_s: float) -> None:
    async with bench_stack("idle") as stack:
        services = {name: p.proc.pid for name, p in stack.procs.items() if p.proc is not None}
        postgres = [pid for pid in pids_named("postgres") if pid != os.getpid()]
        kafka = pids_named("kafka.Kafka")
        database = stack.libpq_url.rpartition("/")[2]
        db = await asyncpg.connect(stack.libpq_url)
        try:
            print(f"idle: {len(services)} services; settling {settle_s:.0f} s, measuring {window_s:.0f} s")
            await asyncio.sleep(settle_s)

            async def transactions() -> int:
                value = await db.fetchval(
                    "select xact_commit + xact_rollback from pg_stat_database where datname = $1", database
                )
                return int(value)

            before = {name: cpu_seconds(pid) for name, pid in services.items()}
            pg_before, kafka_before = total_cpu(postgres), total_cpu(kafka)
            xacts_before, began = await transactions(), time.monotonic()
            await asyncio.sleep(window_s)
            elapsed = time.monotonic() - began
            xacts = await transactions() - xacts_before - 1  # our own read
            after = {name: cpu_seconds(pid) for name, pid in services.items()}
            pg_share = (total_cpu(postgres) - pg_before) / elapsed
            kafka_share = (total_cpu(kafka) - kafka_before) / elapsed
        finally:
            await db.close()

        print(f"{'service':<22}{'CPU % of a core':>16}{'PSS MiB':>10}")
        total_share = 0.0
        for name, pid in services.items():
            share = (after[name] - before[name]) / elapsed
            total_share += share
            print(f"{name:<22}{share * 100:>16.2f}{pss_mib(pid):>10.1f}")
        total_pss = sum(pss_mib(pid) for pid in services.values())
        print(f"{'all five':<22}{total_share * 100:>16.2f}{total_pss:>10.1f}")
        print(
            f"PostgreSQL transactions/s in the stack's database: {xacts / elapsed:.1f};"
            f" PostgreSQL processes {pg_share * 100:.2f} % of a core, Kafka broker {kafka_share * 100:.2f} %"
            " (both shared with whatever else uses them)"
        )
        verdict = "meets" if total_share < 0.05 else "MISSES"
        print(f"aim (services < 5 % of one core): {verdict}")


if __name__ == "__main__":
    asyncio.run(
        main(
            float(sys.argv[1]) if len(sys.argv) > 1 else 30.0,
            float(sys.argv[2]) if len(sys.argv) > 2 else 15.0,
        )
    )

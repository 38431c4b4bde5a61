"""Benchmark: concurrent dispatch workers on committed data, counting double dispatches.

Run from the repository root after ``./odm setup``, against a database with odm_machine_link
installed (demo data loaded), e.g. one made with
``./odm odoo -d odm_dispatch_bench -i odm_machine_link --stop-after-init``:

    .odm/venv/bin/python -m bench.bench_dispatch_stress --database odm_dispatch_bench

Each configuration commits its own machines and ready work orders, runs rounds in which every
worker thread (its own connection and transaction, as Odoo workers and cron threads have)
calls the real ``_dispatch_ready`` at the same moment, asks the database after each round how
many active jobs each work order and machine holds, then removes what it made
(``odm_machine_link/tests/stress.py``). A single worker is the baseline of the same run.
Results go to ``docs/benchmarks/dispatch_stress.md``.
"""

import argparse
import datetime
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / ".odm" / "odoo.conf"
REPORT = REPO / "docs" / "benchmarks" / "dispatch_stress.md"
CONFIGURATIONS = (  # workers, rounds, machines, work orders
    (1, 10, 4, 12),
    (8, 10, 4, 12),
    (16, 10, 8, 12),
    (32, 10, 12, 12),
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--config", default=str(CONFIG))
    parser.add_argument("--report", default=str(REPORT))
    args = parser.parse_args()

    import odoo  # noqa: PLC0415 (Odoo reads its configuration first)

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    odoo.modules.registry.Registry(args.database)
    # The stress runner shares the tests' helpers; with the registry loaded, flagging test mode
    # only tells the test framework its import is intended.
    odoo.tools.config["test_enable"] = True
    from odoo.addons.odm_machine_link.tests import stress  # noqa: PLC0415

    rows = []
    for workers, rounds, machines, workorders in CONFIGURATIONS:
        result = stress.run(args.database, workers, rounds, machines, workorders)
        rows.append(result)
        print(
            f"{workers:>3} workers: {result.dispatched}/{result.expected} dispatched, "
            f"{result.double_dispatches} double, {result.lost_races} lost races, "
            f"median round {statistics.median(result.round_seconds):.3f} s",
            flush=True,
        )
    write_report(Path(args.report), rows)
    doubles = sum(result.double_dispatches for result in rows)
    return 1 if doubles else 0


def write_report(path, rows):
    lines = [
        "# Dispatch stress benchmark",
        "",
        "Command (from the repository root, against a database with odm_machine_link and demo "
        "data):",
        "",
        "    .odm/venv/bin/python -m bench.bench_dispatch_stress --database <db>",
        "",
        "Each row commits its machines (manual PETG printers) and ready work orders, then runs "
        "rounds in which every worker thread, with its own connection and transaction, calls "
        "`odm.machine.job._dispatch_ready` at the same moment (a barrier). After each round the "
        "database counts active jobs per work order and per machine: each one beyond the first "
        "is a double dispatch. The jobs are then removed, which puts the work orders back in the "
        "queue for the next round. A lost race is a worker whose transaction the database "
        "refused (a row another worker changed or locked, or a unique index): it rolls back "
        "and dispatches nothing. The single worker is the baseline of the same run.",
        "",
        f"Measured {datetime.date.today().isoformat()} on the development machine "
        "(2 cores shared with other work).",
        "",
        "| workers | machines | work orders | rounds | dispatched / possible | double dispatches "
        "| lost races | median round (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in rows:
        lines.append(
            f"| {result.workers} | {result.machines} | {result.workorders} | {result.rounds} | "
            f"{result.dispatched} / {result.expected} | **{result.double_dispatches}** | "
            f"{result.lost_races} | {statistics.median(result.round_seconds):.3f} |"
        )
    total = sum(result.dispatched for result in rows)
    doubles = sum(result.double_dispatches for result in rows)
    lines += [
        "",
        f"{total} dispatches in all, {doubles} double. However many workers raced, each round "
        "gave each machine and each work order at most one job: `FOR UPDATE SKIP LOCKED` makes a "
        "worker skip the machines and work orders another one holds (so the losers find nothing "
        "to do rather than fail: hence few or no lost races), and the partial unique indexes on "
        "active jobs (per machine, per work order or build job) would refuse any second job the "
        "locks let through. A round may dispatch less than possible: when two workers split the "
        "machines between them, the one that also locked the work orders dispatches its share "
        "and the other finds no free work; what is left goes at the next run (every minute).",
        "",
    ]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())

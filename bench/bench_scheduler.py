"""Benchmark: the finite-capacity scheduler of odm_engine.scheduling.

Run from the repository root:

    .odm/venv/bin/python -m bench.bench_scheduler [--time-limit 10] [--fjsp-limit 20]

Part one is a seeded shop of 50 machines (24/7 printers, two-shift CNC and finishing stations,
one-shift inspection) with 1,000 work orders: print, machine, finish and inspect chains with
eligibility by process, material and build volume, material arrivals and quoted due dates. The
manned stations (finishing and inspection benches) are pausable: work stops at the end of a
shift and resumes at the next, and some finishing runs are longer than a shift. It times the
greedy plan and the full plan (greedy, then CP-SAT within the time limit) and compares total
lateness with CP-SAT's bound and with Odoo's own sequential planning of the same orders, and
counts the jobs that could not be planned if the benches had to fit each run into one shift.
The same orders are planned again with build jobs: the SLS prints of orders confirmed one after
another share chamber runs, four orders a run, each run one operation of all four jobs.

Part two solves Brandimarte's flexible job-shop instances mk01-mk10 (makespan only) and compares
with the best known makespans. The instance files are public data, not part of this repository:
they are read from ``--fjsp-dir`` (default ``$ODM_FJSP_DIR`` or ``~/.cache/odm/fjsp``) and
downloaded there when missing. Every plan is validated. CP-SAT runs on one thread unless
``--workers`` says otherwise. The figures are rewritten into ``docs/benchmarks/scheduler.md``.
"""

import argparse
import datetime
import os
import platform
import random
import time
import urllib.error
import urllib.request
from pathlib import Path

from ortools import __version__ as ortools_version

REPO = Path(__file__).resolve().parents[1]

from bench.host import cpu_model  # noqa: E402
from odm_engine.scheduling.fjsp import read_fjs  # noqa: E402
from odm_engine.scheduling.scheduler import (  # noqa: E402
    Job,
    Machine,
    Operation,
    odoo_sequential_plan,
    plan,
    validate,
)

REPORT = REPO / "docs" / "benchmarks" / "scheduler.md"
FJSP_URL = (
    "https://raw.githubusercontent.com/Lei-Kun/FJSP-benchmarks/main/1_Brandimarte/"
    "BrandimarteMk{number}.fjs"
)
# Best known makespans, checked against SchedulingLab/fjsp-instances (instances.json, after
# Behnke & Geiger 2012 and Schutt et al. 2013), which lists 58 for mk06; 57 is reported later.
BEST_KNOWN = {1: 40, 2: 26, 3: 204, 4: 60, 5: 172, 6: 57, 7: 139, 8: 523, 9: 307, 10: 197}

HOUR = 3600.0
DAY = 24 * HOUR
WEEKS = 6
MATERIALS = ("PLA", "PETG", "ABS", "TPU")


def shifts(starts_ends: list[tuple[float, float]], weekdays: int) -> tuple:
    """Daily windows (hours of the day) on the first ``weekdays`` days of each week."""
    return tuple(
        (day * DAY + start * HOUR, day * DAY + end * HOUR)
        for day in range(7 * WEEKS)
        if day % 7 < weekdays
        for start, end in starts_ends
    )


def shop(rng: random.Random) -> tuple[list[Machine], dict]:
    """50 machines and, per family, their keys and properties (speed, materials, size)."""
    two_shifts = shifts([(6, 22)], 5)
    finishing = shifts([(6, 14), (14.5, 22.5)], 5)
    inspection = shifts([(7, 15.5)], 5)
    families: dict[str, dict] = {"fdm": {}, "sla": {}, "sls": {}, "cnc": {}, "finish": {}, "qa": {}}
    machines = []

    def add(family: str, name: str, windows, pausable=False, **properties) -> None:
        machines.append(Machine(name, windows, pausable))
        families[family][name] = {"speed": rng.uniform(0.85, 1.15), **properties}

    for number in range(16):
        large = number < 6
        materials = set(MATERIALS) if large else {"PLA", *rng.sample(MATERIALS[1:], 2)}
        add("fdm", f"FDM-{number:02d}", None, materials=materials, large=large)
    for number in range(6):
        add("sla", f"SLA-{number}", None)
    for number in range(6):
        add("sls", f"SLS-{number}", None)
    for number in range(10):
        add("cnc", f"CNC-{number}", two_shifts, steel=number < 4, five_axis=number in (2, 3, 8, 9))
    for number in range(6):
        add("finish", f"FIN-{number}", finishing, pausable=True)
    for number in range(4):
        add("qa", f"QA-{number}", inspection, pausable=True)
    for number in range(2):
        add("qa", f"CMM-{number}", None)
    return machines, families


def synthetic(seed: int = 7, work_orders: int = 1000) -> tuple[list[Job], list[Machine]]:
    """Jobs in the order they were confirmed (Odoo plans them in that order)."""
    rng = random.Random(seed)
    machines, families = shop(rng)

    def on(family: str, hours_: float, fits=lambda properties: True) -> dict:
        return {
            name: round(hours_ * properties["speed"] * HOUR)
            for name, properties in families[family].items()
            if fits(properties)
        }

    jobs, count = [], 0
    while count < work_orders:
        number = len(jobs)
        kind = rng.choices(["fdm", "sla", "sls", "cnc"], [0.45, 0.15, 0.15, 0.25])[0]
        chain = []
        if kind == "fdm":
            material = rng.choice(MATERIALS)
            large = rng.random() < 0.25
            chain.append(
                on(
                    "fdm",
                    rng.uniform(1, 14),
                    lambda p, m=material, big=large: (
                        m in p["materials"] and (p["large"] or not big)
                    ),
                )
            )
            chain.append(on("finish", rng.uniform(0.25, 1.5)))
            if rng.random() < 0.2:
                chain.append(on("cnc", rng.uniform(0.5, 2)))
        elif kind in ("sla", "sls"):
            chain.append(on(kind, rng.uniform(2, 10) if kind == "sla" else rng.uniform(8, 20)))
            # A full build's support removal and surface finishing can outlast a shift.
            long_finish = rng.random() < LONG_FINISH_SHARE
            chain.append(on("finish", rng.uniform(9, 20) if long_finish else rng.uniform(0.5, 2)))
            if kind == "sls" and rng.random() < 0.5:
                chain.append(on("finish", rng.uniform(0.5, 1.5)))
        else:
            steel = rng.random() < 0.3
            complex_part = rng.random() < 0.3
            for _setup in range(rng.randint(1, 3)):
                chain.append(
                    on(
                        "cnc",
                        rng.uniform(0.5, 4),
                        lambda p, s=steel, c=complex_part: (
                            (p["steel"] or not s) and (p["five_axis"] or not c)
                        ),
                    )
                )
            chain.append(on("finish", rng.uniform(0.25, 1)))
        chain.append(on("qa", rng.uniform(0.2, 1)))
        chain = chain[: work_orders - count]
        count += len(chain)
        confirmed = -2 * DAY + number * 2 * DAY / 300
        lead_days, weight = rng.choices([(3, 2.0), (5, 1.0), (7, 1.0), (10, 1.0)], [2, 4, 3, 1])[0]
        release = 0.0 if rng.random() < 0.7 else rng.uniform(0, 2 * DAY)
        jobs.append(
            Job(
                f"MO-{number:04d}",
                tuple(
                    Operation(f"MO-{number:04d}/{step}", durations)
                    for step, durations in enumerate(chain, start=1)
                ),
                release=release,
                due=confirmed + lead_days * DAY,
                weight=weight,
            )
        )
    return jobs, machines


LONG_FINISH_SHARE = 0.15
"""Share of SLA and SLS orders whose finishing takes 9-20 hours, longer than one shift."""

SLS_RUN_SIZE = 4
"""Orders sharing one SLS chamber run in the build-job scenario."""


def with_build_jobs(jobs: list[Job]) -> tuple[list[Job], dict[str, str]]:
    """The jobs with their SLS prints grouped into shared chamber runs, in confirmation order;
    a run takes, on each printer, as long as its longest member. Returns the jobs and the run
    key of each member job."""
    sls = [job for job in jobs if str(next(iter(job.operations[0].durations))).startswith("SLS")]
    runs = {}
    for first in range(0, len(sls), SLS_RUN_SIZE):
        members = sls[first : first + SLS_RUN_SIZE]
        durations = {
            machine: max(job.operations[0].durations[machine] for job in members)
            for machine in members[0].operations[0].durations
        }
        shared = Operation(f"SLS-RUN-{first // SLS_RUN_SIZE:03d}", durations)
        runs.update((job.key, shared) for job in members)
    grouped = [
        Job(job.key, (runs[job.key], *job.operations[1:]), job.release, job.due, job.weight)
        if job.key in runs
        else job
        for job in jobs
    ]
    return grouped, {key: run.key for key, run in runs.items()}


def synthetic_rows(time_limit: float, workers: int) -> list[str]:
    jobs, machines = synthetic()
    operations = sum(len(job.operations) for job in jobs)
    greedy_plan, greedy_s, full, odoo = _plans(jobs, machines, time_limit, workers)
    bound = "n/a" if full.lateness_bound is None else f"{full.lateness_bound / HOUR:,.1f}"
    late = sum(1 for value in full.lateness.values() if value > 0)
    paused = _paused_runs(full, jobs)
    rigid = [Machine(machine.key, machine.windows) for machine in machines]
    left_out = len(plan(jobs, rigid, method="greedy").unschedulable)
    print(
        f"{operations} work orders, {len(jobs)} jobs, {len(machines)} machines: "
        f"greedy {greedy_s:.2f} s, lateness {greedy_plan.total_lateness / HOUR:,.1f} h; "
        f"{full.method} {full.seconds:.1f} s, lateness {full.total_lateness / HOUR:,.1f} h "
        f"(bound {bound} h); Odoo {odoo.total_lateness / HOUR:,.1f} h; "
        f"{paused} runs paused over a break; {left_out} jobs unplannable without pauses",
        flush=True,
    )
    return [
        *_table(greedy_plan, greedy_s, full, odoo),
        "",
        f"{operations:,} work orders in {len(jobs)} jobs on {len(machines)} machines. "
        f"CP-SAT's lower bound on weighted lateness: {bound} h, so our plan is at most "
        f"{_ratio(full.total_lateness, full.lateness_bound)} the optimum. Jobs late in our "
        f"plan: {late}. Odoo's weighted lateness is "
        f"{_ratio(odoo.total_lateness, full.total_lateness)} ours. In our plan {paused} "
        "bench runs pause over a break or a night, holding their bench; if every run had to "
        f"fit one shift (the benches not pausable), {left_out} jobs could not be planned.",
    ]


def _paused_runs(result, jobs: list[Job]) -> int:
    """Runs whose slot is longer than their working time: they span a pause."""
    durations = {operation.key: operation.durations for job in jobs for operation in job.operations}
    return sum(
        1
        for key, slot in result.slots.items()
        if slot.end - slot.start > durations[key][slot.machine] + 1e-6
    )


def build_job_rows(time_limit: float, workers: int) -> list[str]:
    jobs, machines = synthetic()
    jobs, run_of = with_build_jobs(jobs)
    members, runs = len(run_of), len(set(run_of.values()))
    greedy_plan, greedy_s, full, odoo = _plans(jobs, machines, time_limit, workers)
    bound = "n/a" if full.lateness_bound is None else f"{full.lateness_bound / HOUR:,.1f}"
    print(
        f"build jobs ({runs} SLS runs for {members} orders): greedy {greedy_s:.2f} s, "
        f"lateness {greedy_plan.total_lateness / HOUR:,.1f} h; {full.method} "
        f"{full.seconds:.1f} s, lateness {full.total_lateness / HOUR:,.1f} h (bound {bound} h); "
        f"Odoo {odoo.total_lateness / HOUR:,.1f} h",
        flush=True,
    )
    return [
        *_table(greedy_plan, greedy_s, full, odoo),
        "",
        f"The {members} SLS orders share {runs} chamber runs. CP-SAT's lower bound on weighted "
        f"lateness: {bound} h, so our plan is at most "
        f"{_ratio(full.total_lateness, full.lateness_bound)} the optimum.",
    ]


def _plans(jobs: list[Job], machines: list[Machine], time_limit: float, workers: int) -> tuple:
    """The greedy plan and its seconds, the full plan and Odoo's, each validated."""
    started = time.perf_counter()
    greedy_plan = plan(jobs, machines, method="greedy")
    greedy_s = time.perf_counter() - started
    full = plan(jobs, machines, time_limit=time_limit, workers=workers)
    odoo = odoo_sequential_plan(jobs, machines)
    for result in (greedy_plan, full, odoo):
        validate(result, jobs, machines)
        assert not result.unschedulable, result.unschedulable
    return greedy_plan, greedy_s, full, odoo


def _table(greedy_plan, greedy_s: float, full, odoo) -> list[str]:
    return [
        "| plan | seconds | weighted lateness (h) | late jobs | makespan (h) |",
        "|---|---:|---:|---:|---:|",
        _row("greedy", greedy_s, greedy_plan),
        _row(f"greedy + CP-SAT ({full.method})", full.seconds, full),
        _row("Odoo sequential (`button_plan`)", odoo.seconds, odoo),
    ]


def _row(name: str, seconds: float, result) -> str:
    late = sum(1 for value in result.lateness.values() if value > 0)
    return (
        f"| {name} | {seconds:.2f} | {result.total_lateness / HOUR:,.1f} | {late} | "
        f"{result.makespan / HOUR:,.1f} |"
    )


def _ratio(numerator: float, denominator: float | None) -> str:
    return f"{numerator / denominator:.2f}x" if denominator else "(no bound or zero: n/a)"


def fjsp_folder(given: str | None) -> Path:
    return Path(given or os.environ.get("ODM_FJSP_DIR") or Path.home() / ".cache/odm/fjsp")


def instance_text(folder: Path, number: int) -> str | None:
    """The instance file, downloaded into ``folder`` when missing; None when offline."""
    path = folder / f"BrandimarteMk{number}.fjs"
    if not path.exists():
        try:
            with urllib.request.urlopen(FJSP_URL.format(number=number), timeout=20) as answer:
                data = answer.read()
        except (urllib.error.URLError, TimeoutError):
            return None
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path.read_text()


def fjsp_rows(folder: Path, time_limit: float, workers: int) -> list[str]:
    rows = [
        "| instance | ops | greedy | greedy + CP-SAT | best known | gap | seconds | status |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for number, best in BEST_KNOWN.items():
        text = instance_text(folder, number)
        if text is None:
            print(
                f"Brandimarte instances skipped: {folder} lacks them and they cannot be downloaded."
            )
            return []
        jobs, machines = read_fjs(text)
        greedy_plan = plan(jobs, machines, method="greedy")
        result = plan(jobs, machines, time_limit=time_limit, workers=workers)
        validate(result, jobs, machines)
        ours = round(result.makespan / 60)
        gap = 100 * (ours - best) / best
        operations = sum(len(job.operations) for job in jobs)
        print(f"mk{number:02d}: {ours} vs {best} ({gap:+.1f} %) {result.method}", flush=True)
        rows.append(
            f"| mk{number:02d} | {operations} | {round(greedy_plan.makespan / 60)} | {ours} | "
            f"{best} | {gap:+.1f} % | {result.seconds:.1f} | {result.method} |"
        )
    return rows


def machine_note(workers: int) -> str:
    cpu = cpu_model()
    return (
        f"{cpu}, {os.cpu_count()} cores (CP-SAT on {workers} thread{'s' * (workers > 1)}), "
        f"Python {platform.python_version()}, OR-Tools {ortools_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds, part one")
    parser.add_argument("--fjsp-limit", type=float, default=20.0, help="seconds per instance")
    parser.add_argument("--fjsp-dir", help="folder of the BrandimarteMk<n>.fjs files")
    parser.add_argument("--workers", type=int, default=1, help="CP-SAT threads")
    parser.add_argument("--no-report", action="store_true", help="do not rewrite the markdown")
    args = parser.parse_args()
    synthetic_table = synthetic_rows(args.time_limit, args.workers)
    build_table = build_job_rows(args.time_limit, args.workers)
    fjsp_table = fjsp_rows(fjsp_folder(args.fjsp_dir), args.fjsp_limit, args.workers)
    print("\n".join([*synthetic_table, "", *build_table, "", *fjsp_table]))
    if not args.no_report:
        write_report(args, synthetic_table, build_table, fjsp_table)


def write_report(
    args, synthetic_table: list[str], build_table: list[str], fjsp_table: list[str]
) -> None:
    fjsp_part = (
        "\n".join(fjsp_table)
        if fjsp_table
        else "Not run: the instance files were missing and could not be downloaded."
    )
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        "# Scheduler benchmark\n\n"
        "Command (from the repository root):\n\n"
        "    .odm/venv/bin/python -m bench.bench_scheduler\n\n"
        "## 1,000 work orders on 50 machines\n\n"
        "A seeded shop: 16 FDM printers (material sets, 6 large), 6 SLA and 6 SLS printers and\n"
        "2 CMMs around the clock; 10 CNC mills on two shifts (4 for steel, 4 five-axis),\n"
        "6 finishing benches on two shifts with a break, 4 inspection benches on one shift,\n"
        "weekdays only. The benches are manned, so pausable: a run starts in a shift, stops at\n"
        "its end and resumes at the next, holding the bench over the break (as Odoo plans\n"
        f"work orders); {LONG_FINISH_SHARE * 100:.0f} % of SLA and SLS orders need 9-20 h of\n"
        "finishing. "
        "Print, machine, finish and inspect chains of 2-5 work orders, 30 % of\n"
        "jobs waiting up to two days for material, due 3-10 days after confirmation (express\n"
        "weighted twice), confirmed over the last two days. *Greedy* is the first plan;\n"
        f"*greedy + CP-SAT* is `plan(time_limit={args.time_limit:g})`; *Odoo sequential*\n"
        "plans the orders in confirmation order as `mrp.production.button_plan` does, each\n"
        "work order on the work center or alternative where it finishes first (on the\n"
        "pausable benches exactly Odoo's rule, pauses included). Lateness is\n"
        "weighted, in hours; the issue's target is a feasible plan within 10 s.\n\n"
        + "\n".join(synthetic_table)
        + "\n\n## The same orders with build jobs\n\n"
        f"The SLS prints of every {SLS_RUN_SIZE} SLS orders in confirmation order share one\n"
        "chamber run (as long as its longest member on each printer): one operation held by\n"
        "the four jobs, which starts after all their releases and before their finishing.\n"
        "Odoo's baseline places a shared run with the first order holding it.\n\n"
        + "\n".join(build_table)
        + "\n\n## Brandimarte flexible job shop (makespan)\n\n"
        f"mk01-mk10 with `plan(time_limit={args.fjsp_limit:g})`; no due dates, so only the\n"
        "makespan counts. Best known makespans from the literature (mk06: 57; the bounds list of\n"
        "SchedulingLab/fjsp-instances gives 58). The instance files are downloaded to\n"
        "`~/.cache/odm/fjsp`, never committed.\n\n"
        + fjsp_part
        + f"\n\nMachine: {machine_note(args.workers)}.\n\n"
        f"Last run: {datetime.date.today().isoformat()}.\n"
    )


if __name__ == "__main__":
    main()

"""Benchmark: concurrent portal customers on Odoo's multi-process server, with an attacker.

Run from the repository root after ``./odm setup``:

    .odm/venv/bin/python -m bench.bench_load [--users 20] [--seconds 120] [--workers 4]

It builds or updates (once per run) a database ``--template`` (default ``odm_bench_load``) with
the four addons and their demo data, copies it with ``--users`` + 1 portal users
(tests/prefork/prepare.py) and serves the copy with Odoo's prefork server: ``--workers`` HTTP
workers, a cron worker, queue_job's runner and the gevent port, with the limits ``./odm demo``
uses. First one customer alone runs ``--baseline-rounds`` rounds (the unloaded baseline of the
same run); then ``--users`` customers run rounds for ``--seconds`` while one attacker, signed
in as a customer too, uploads hostile files without pause. A round is what a customer does on
the quote page: upload a new part (a sphere or a box of random size and mesh density, so no two
uploads are alike), re-price it (quantity and material), remove it from the cart, with a think
time of ``--think`` seconds (uniform between half and one and a half times) before each step.
Each step is one form POST and the page it redirects to, timed together.

Reported: p50/p95 latency and errors of the customers' steps, unloaded and loaded; where the
workers' time went (the server log's request times by route and by queue_job job, and the
statements that failed on concurrent updates); what the attacker got back; the workers'
process ids before and after, and the server log's lines about killed or recycled workers.
Results go to ``docs/benchmarks/load.md``.
"""

import argparse
import collections
import configparser
import contextlib
import datetime
import math
import os
import random
import re
import shlex
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import psutil
import psycopg2
import requests
import trimesh

from bench.host import cpu_model
from bench.odoo_instance import ensure_database, percentile
from tests.engine import hostile
from tests.prefork.http_client import PortalCustomer, line_ids
from tests.prefork.server import (
    DEFAULT_CONFIG,
    REPO,
    PreforkOdoo,
    drop_database,
    prepare_database,
)

ADDONS = "odm_quote,odm_mrp,odm_partner_network,odm_machine_link"
REPORT = REPO / "docs" / "benchmarks" / "load.md"
TARGET_RATIO = 3.0
SATURATED_CPU_PCT = 90
WORKER_KINDS = ("WorkerHTTP", "WorkerCron", "WorkerJobRunner")
# Server log lines that mean a worker was killed or replaced.
WORKER_TROUBLE = (
    "timeout after",
    "virtual memory limit",
    "CPU time limit",
    "max request",
    "Critial worker error",
)
# Odoo's request log line: '"GET /odm/quote HTTP/1.1" 200 - 118 0.387 4.260' is the request's
# queries, its seconds in SQL and its other seconds in the worker.
REQUEST_LINE = re.compile(
    r"^(\S+ \S+),\d+ \d+ INFO \S+ werkzeug: .*\"(\w+) (\S+) HTTP/[\d.]+\" \d+ - \d+ "
    r"([\d.]+) ([\d.]+)"
)
# PostgreSQL's message, on the line after Odoo's "bad query" (which carries the time).
SERIALIZATION_FAILURE = "ERROR: could not serialize access"
RECORD_ID = re.compile(r"/\d+")
# Hostile files (tests/engine/hostile.py), each refused before it is expanded.
ATTACKS = {
    "glTF instancing graph, 2^40 paths": (
        "graph.gltf",
        lambda: hostile.gltf_instancing_graph(40),
    ),
    "3MF instancing graph, 2^30 paths": (
        "graph.3mf",
        lambda: hostile.threemf_instancing_graph(30),
    ),
    "zip bomb, 1,000 x 4 MiB members": (
        "parts.zip",
        lambda: hostile.zip_of_copies(1000, bytes(4 * 2**20)),
    ),
}


def random_part(rng):
    """A binary STL never uploaded before: a sphere of 80 to 20,480 triangles, or a box."""
    if rng.random() < 0.7:
        mesh = trimesh.creation.icosphere(subdivisions=rng.randint(1, 5), radius=rng.uniform(5, 60))
    else:
        mesh = trimesh.creation.box(extents=[rng.uniform(5, 120) for _axis in range(3)])
    return mesh.export(file_type="stl")


class Customer:
    """One signed-in portal customer doing rounds: upload, re-price, remove."""

    def __init__(self, base_url, login, facts, think_s, seed):
        self.portal = PortalCustomer(base_url, login)
        self.facts = facts
        self.think_s = think_s
        self.rng = random.Random(seed)
        self.timings = collections.defaultdict(list)
        self.errors = []
        self.page = ""  # the last page shown: the next form's CSRF token comes from it

    def sign_in(self):
        self.page = self.portal.sign_in().text

    def think(self):
        if self.think_s:
            time.sleep(self.rng.uniform(0.5, 1.5) * self.think_s)

    def step(self, name, call, expected):
        """Runs one step; its seconds count, and anything but the expected page is an error."""
        started = time.perf_counter()
        try:
            answer = call()
            seconds = time.perf_counter() - started
            if answer.status_code != 200 or expected not in answer.text:
                self.errors.append(f"{name}: HTTP {answer.status_code}")
                return None
        except requests.RequestException as error:
            self.errors.append(f"{name}: {type(error).__name__}")
            return None
        self.timings[name].append(seconds)
        self.page = answer.text
        return answer

    def round(self):
        form = {"process_id": self.facts["fdm_process_id"], "quantity": self.rng.randint(1, 50)}
        name, data = f"part-{self.rng.random():.6f}.stl", random_part(self.rng)
        self.think()
        uploaded = self.step(
            "upload",
            lambda: self.portal.upload(name, data, form, self.page),
            "priced and added to your cart",
        )
        if uploaded is None:
            return
        line_id = max(line_ids(uploaded.text))
        repriced_form = {
            **form,
            "quantity": self.rng.randint(51, 500),
            "material_id": self.rng.choice(self.facts["fdm_material_ids"]),
        }
        self.think()
        repriced = self.step(
            "re-price",
            lambda: self.portal.reprice(line_id, repriced_form, self.page),
            "re-priced",
        )
        if repriced is not None:
            self.think()
            self.step(
                "remove", lambda: self.portal.remove(line_id, self.page), "removed from your cart"
            )

    def run_until(self, deadline):
        while time.monotonic() < deadline:
            self.round()


class Attacker:
    """A signed-in customer posting hostile files back to back."""

    def __init__(self, base_url, login, facts):
        self.portal = PortalCustomer(base_url, login)
        self.form = {"process_id": facts["fdm_process_id"], "quantity": 1}
        self.files = {name: (filename, make()) for name, (filename, make) in ATTACKS.items()}
        self.answers = collections.defaultdict(collections.Counter)
        self.timings = collections.defaultdict(list)

    def run_until(self, deadline):
        page = self.portal.quote_page().text
        while time.monotonic() < deadline:
            for name, (filename, data) in self.files.items():
                started = time.perf_counter()
                try:
                    answer = self.portal.upload(filename, data, self.form, page)
                    outcome = str(answer.status_code)
                except requests.RequestException as error:
                    outcome = type(error).__name__
                self.timings[name].append(time.perf_counter() - started)
                self.answers[name][outcome] += 1


@dataclass
class Run:
    """What one run measured and saw."""

    alone: Customer
    customers: list
    attacker: Attacker
    before: dict
    after: dict
    master_alive: bool
    trouble: list
    memory_mb: dict
    host_cpu_pct: float
    server_time: dict  # phase -> request kind -> seconds in a worker (the server's log)
    retried: dict  # phase -> statements failed on a concurrent update (request or job retried)
    phase_seconds: dict  # phase -> how long it lasted


def job_methods(config, database):
    """{job uuid: method} of queue_job's jobs in ``database``: read before it is dropped, they
    name the runner's requests in the server log."""
    options = configparser.ConfigParser()
    options.read(config)
    db = options["options"]
    connection = psycopg2.connect(
        dbname=database,
        host=db.get("db_host") or None,
        port=db.get("db_port") or None,
        user=db.get("db_user") or None,
        password=db.get("db_password") or None,
    )
    with contextlib.closing(connection), connection.cursor() as cursor:
        cursor.execute("SELECT uuid, method_name FROM queue_job")
        return dict(cursor.fetchall())


def request_kind(method, path, jobs):
    """A request of the log as the report groups it: its route without record ids, or the job
    a queue_job runner request ran."""
    url = urlsplit(path)
    if url.path == "/queue_job/runjob":
        uuid = parse_qs(url.query).get("job_uuid", [""])[0]
        return f"job {jobs.get(uuid, '?')}"
    return f"{method} {RECORD_ID.sub('/<id>', url.path)}"


def server_time(log, phases, jobs):
    """Seconds each request spent in a worker (SQL included), by phase ({name: (start, end)},
    by when the request ended) and request kind; and per phase the statements that failed on a
    concurrent update (Odoo retries such a request, queue_job re-runs such a job)."""
    seconds = {phase: collections.defaultdict(list) for phase in phases}
    retried = collections.Counter()

    def phase_of(stamp):
        at = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
        return next((name for name, (start, end) in phases.items() if start <= at <= end), None)

    stamp = None
    for line in log:
        if line[:4].isdigit():
            stamp = line[:19]
        if line.startswith(SERIALIZATION_FAILURE) and stamp:
            retried[phase_of(stamp)] += 1
        found = REQUEST_LINE.match(line)
        if found:
            ended, method, path, sql_s, other_s = found.groups()
            phase = phase_of(ended)
            if phase:
                kind = request_kind(method, path, jobs)
                seconds[phase][kind].append(float(sql_s) + float(other_s))
    return seconds, retried


def worker_memory_mb(pids):
    """The largest resident and virtual size (MB) among these processes."""
    infos = [psutil.Process(pid).memory_info() for pid in pids]
    return {
        "rss": max(info.rss for info in infos) / 2**20,
        "vms": max(info.vms for info in infos) / 2**20,
    }


def worker_pids(server):
    return {kind: server.worker_pids(kind) for kind in WORKER_KINDS}


def load_phase(server, facts, args):
    logins = facts["portal_users"]
    customers = [
        Customer(server.base_url, login, facts, args.think, seed)
        for seed, login in enumerate(logins[: args.users])
    ]
    attacker = Attacker(server.base_url, logins[args.users], facts)
    for customer in customers:
        customer.sign_in()
    attacker.portal.sign_in()
    psutil.cpu_percent()  # starts the host's CPU measurement over the load phase
    deadline = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=person.run_until, args=(deadline,))
        for person in (*customers, attacker)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return customers, attacker, psutil.cpu_percent()


def now():
    """The time as the server's log writes it (same host, same clock, whole seconds)."""
    return datetime.datetime.now().replace(microsecond=0)


def summary(timings):
    if not timings:
        return {"count": 0, "p50": float("nan"), "p95": float("nan")}
    return {
        "count": len(timings),
        "p50": statistics.median(timings),
        "p95": percentile(timings, 0.95),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", type=float, default=2.0, help="mean think time (s)")
    parser.add_argument("--baseline-rounds", type=int, default=15)
    parser.add_argument("--template", default="odm_bench_load")
    parser.add_argument("--database", help="the copy served (default <template>_run)")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--http-port", type=int)
    parser.add_argument("--gevent-port", type=int)
    parser.add_argument("--no-report", action="store_true", help="print, keep load.md")
    args = parser.parse_args()
    database = args.database or f"{args.template}_run"
    if args.template == parser.get_default("template"):
        ensure_database(args.template, ADDONS)
    print(
        f"copying {args.template} to {database} with {args.users + 1} portal users...", flush=True
    )
    server = PreforkOdoo(
        args.config,
        database,
        args.workers,
        REPO / ".odm" / f"{database}.log",
        http_port=args.http_port,
        gevent_port=args.gevent_port,
    )
    try:
        facts = prepare_database(args.config, args.template, database, portal_users=args.users + 1)
        server.start()
        print(f"prefork Odoo on {server.base_url}: baseline, one customer alone...", flush=True)
        alone = Customer(server.base_url, facts["portal_users"][0], facts, args.think, 1000)
        alone.sign_in()
        alone.round()  # warm-up: the zygote of the worker, caches
        alone.timings.clear()
        alone.errors.clear()
        phases = {"alone": [now()]}
        for _round in range(args.baseline_rounds):
            alone.round()
        phases["alone"].append(now())
        before = worker_pids(server)
        print(f"{args.users} customers and an attacker for {args.seconds:g} s...", flush=True)
        phases["load"] = [now()]
        customers, attacker, host_cpu_pct = load_phase(server, facts, args)
        phases["load"].append(now())
        time.sleep(2)  # the master replaces a dead worker within a second or so
        after = worker_pids(server)
        memory_mb = worker_memory_mb(after["WorkerHTTP"])
        master_alive = server.process.poll() is None
        log = server.log_path.read_text(errors="replace").splitlines()
        trouble = [line for line in log if any(mark in line for mark in WORKER_TROUBLE)]
        jobs = job_methods(args.config, database)
    finally:
        server.stop()
        drop_database(args.config, database)
    spent, retried = server_time(log, phases, jobs)
    lasted = {phase: (end - start).total_seconds() for phase, (start, end) in phases.items()}
    run = Run(
        *(alone, customers, attacker, before, after, master_alive, trouble, memory_mb),
        *(host_cpu_pct, spent, retried, lasted),
    )
    report = render(args, run)
    if not args.no_report:
        REPORT.write_text(report)
    print(report)


def render(args, run):
    alone, customers, attacker = run.alone, run.customers, run.attacker
    before, after, master_alive, trouble = run.before, run.after, run.master_alive, run.trouble
    unloaded = [t for timings in alone.timings.values() for t in timings]
    loaded_by_step = collections.defaultdict(list)
    for customer in customers:
        for step, timings in customer.timings.items():
            loaded_by_step[step].extend(timings)
    loaded = [t for timings in loaded_by_step.values() for t in timings]
    errors = [error for customer in customers for error in customer.errors]
    base, under_load = summary(unloaded), summary(loaded)
    ratio = under_load["p95"] / base["p95"]
    rows = [
        f"| all steps | {base['count']} | {base['p50']:.2f} | {base['p95']:.2f} | "
        f"{under_load['count']} | {under_load['p50']:.2f} | {under_load['p95']:.2f} |"
    ]
    for step in ("upload", "re-price", "remove"):
        one, many = summary(alone.timings[step]), summary(loaded_by_step[step])
        rows.append(
            f"| {step} | {one['count']} | {one['p50']:.2f} | {one['p95']:.2f} | "
            f"{many['count']} | {many['p50']:.2f} | {many['p95']:.2f} |"
        )
    attack_rows = [
        f"| {name} | {len(attacker.timings[name])} | "
        f"{', '.join(f'{code}: {count}' for code, count in sorted(answers.items()))} | "
        f"{statistics.median(attacker.timings[name]):.2f} |"
        for name, answers in attacker.answers.items()
    ]
    worker_rows = [
        f"| {kind} | {', '.join(map(str, sorted(before[kind])))} | "
        f"{', '.join(map(str, sorted(after[kind])))} |"
        for kind in WORKER_KINDS
    ]
    survived = master_alive and before == after and not trouble
    error_kinds = collections.Counter(errors)
    error_text = (
        ", ".join(f"{error} ({count})" for error, count in error_kinds.most_common()) or "none"
    )
    trouble_text = "\n".join(f"    {line}" for line in trouble[:10]) or "    (none)"
    saturation = (
        " The CPU was saturated: the customers asked for more than these cores compute, so steps "
        "queued for a worker and a core (docs/deployment.md, *Workers*, sizes a host by cores)."
        if run.host_cpu_pct >= SATURATED_CPU_PCT
        else ""
    )
    time_rows, busy = server_time_rows(run)
    verdict_latency = "met" if ratio <= TARGET_RATIO else "missed"
    verdict_errors = "met" if not errors else "missed"
    return f"""# Load: portal customers on the prefork server, with an attacker

Command (from the repository root):

    .odm/venv/bin/python -m bench.bench_load {shlex.join(sys.argv[1:])}

Last run {datetime.date.today().isoformat()} on {cpu_model()} ({os.cpu_count()} cores, shared with
other work; the benchmark's own client threads run on the same cores). Odoo's prefork server:
{args.workers} HTTP workers, one cron worker, queue_job's runner and the gevent port, with the
limits `./odm demo` serves with (docs/deployment.md).

Each customer, signed in on the portal, repeats a round: upload a new part (a sphere of 80 to
20,480 triangles or a box, random size: no two uploads alike), re-price it (quantity and
material), remove it from the cart, thinking {args.think / 2:g} to {args.think * 1.5:g} s before
each step. A step is the form POST and the page it redirects to, timed together. The baseline
is one customer alone on the same server in the same run ({args.baseline_rounds} rounds). Under
load, {args.users} customers run rounds for {args.seconds:g} s while an attacker, signed in as
another customer, uploads hostile files back to back.

| step | alone: steps | p50 (s) | p95 (s) | {args.users} users: steps | p50 (s) | p95 (s) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

- p95 under load / p95 alone: **{ratio:.1f}x** (target <= {TARGET_RATIO:g}x: {verdict_latency}).
- Errors of the customers: **{len(errors)}** (target 0: {verdict_errors}); {error_text}.
  Alone: {len(alone.errors)} ({", ".join(alone.errors) or "none"}).
- Under load the server answered {under_load["count"] / args.seconds:.2f} steps/s while the
  host's CPU was {run.host_cpu_pct:.0f} % busy ({os.cpu_count()} cores, all processes).{saturation}

Where the workers' time went, from the server's log (each request's seconds in a worker, SQL
included, by when it ended; a *job* is queue_job's runner having a worker run that job). A
customer's step is a POST and the page it redirects to; under load the step also waits for a
free worker, which the log does not count:

| request | alone: count | p50 (s) | worker-s | under load: count | p50 (s) | p95 (s) | worker-s |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(time_rows)}

- Workers busy on average: alone {busy["alone"]:.2f}, under load {busy["load"]:.2f} of
  {args.workers} (background jobs: {busy["alone jobs"]:.2f} and {busy["load jobs"]:.2f}).
- Statements that failed on a concurrent update of the same rows, each making Odoo retry the
  request or queue_job re-run the job: alone {run.retried["alone"]}, under load
  {run.retried["load"]}.

What the attacker got (422 is the refusal with its reason on the page):

| hostile file | uploads | answers | median (s) |
| --- | ---: | --- | ---: |
{chr(10).join(attack_rows)}

Workers (process ids) before and after the load:

| worker | before | after |
| --- | --- | --- |
{chr(10).join(worker_rows)}

Every worker survived: **{"yes" if survived else "no"}** (master alive: {master_alive}). After
the load the largest HTTP worker held {run.memory_mb["rss"]:,.0f} MB resident,
{run.memory_mb["vms"]:,.0f} MB of address space (Odoo's `limit_memory_soft` compares the
latter). Server log lines about killed or recycled workers:

{trouble_text}
"""


def seconds_text(seconds):
    """Seconds for a table cell; a dash where there was nothing to time."""
    return "-" if math.isnan(seconds) else f"{seconds:.2f}"


def server_time_rows(run):
    """The log's request kinds, heaviest under load first, and the workers' average business."""
    alone, load = run.server_time["alone"], run.server_time["load"]
    kinds = sorted({*alone, *load}, key=lambda kind: -sum(load.get(kind, ())))
    rows = []
    for kind in kinds:
        one, many = summary(alone.get(kind, [])), summary(load.get(kind, []))
        rows.append(
            f"| {kind} | {one['count']} | {seconds_text(one['p50'])} | "
            f"{sum(alone.get(kind, [])):.0f} | {many['count']} | {seconds_text(many['p50'])} | "
            f"{seconds_text(many['p95'])} | {sum(load.get(kind, [])):.0f} |"
        )
    busy = {}
    for phase, seconds in (("alone", alone), ("load", load)):
        span = max(run.phase_seconds[phase], 1)
        busy[phase] = sum(map(sum, seconds.values())) / span
        busy[f"{phase} jobs"] = (
            sum(sum(times) for kind, times in seconds.items() if kind.startswith("job ")) / span
        )
    return rows, busy


if __name__ == "__main__":
    main()

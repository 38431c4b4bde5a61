"""Benchmark: the quote API round trip through Odoo's HTTP server for a 5 MB STL.

Run from the repository root after ``./odm setup``:

    .odm/venv/bin/python -m bench.bench_api_roundtrip [--requests 20] [--megabytes 5]

It builds (once) a database ``odm_bench`` with odm_quote, starts Odoo on a free local port,
creates an API key, then posts distinct 5 MB binary STL files (each slightly different, so the
sha256 dedupe never skips an analysis) to ``/odm/api/v1/quote``. In the same run it times the
engine alone on the same files (load, analyse, thumbnail, price: no HTTP, no database), so the
ratio shows what Odoo and HTTP add. Results go to ``docs/benchmarks/api_roundtrip.md``.
"""

import argparse
import datetime
import io
import os
import statistics
import time
from pathlib import Path

import numpy as np
import psutil
import requests
import trimesh

REPO = Path(__file__).resolve().parents[1]

from bench.bench_mesh_analysis import bumpy_sphere  # noqa: E402
from bench.odoo_instance import ensure_database, odoo, percentile, serving  # noqa: E402
from odm_engine.pricing.quote import quote_part  # noqa: E402
from odm_engine.service import analyse_upload  # noqa: E402

DATABASE = "odm_bench"
REPORT = REPO / "docs" / "benchmarks" / "api_roundtrip.md"
STL_BYTES_PER_TRIANGLE = 50
KEY_SCRIPT = """
# Jobs an earlier run left waiting would run during this one: they are not this run's work.
env["queue.job"].search([("state", "not in", ("done", "cancelled", "failed"))]).button_cancelled()
key = env["res.users.apikeys"].sudo().with_user(env.ref("base.user_admin"))._generate(
    None, "bench", None
)
env.cr.commit()
print("API-KEY", key)
"""
JOBS_SCRIPT = """
jobs = env["queue.job"].search([("date_created", ">=", "{since}")])
for group in jobs.read_group([("id", "in", jobs.ids)], ["method_name", "state"],
                             ["method_name", "state"], lazy=False):
    print("JOB", group["method_name"], group["state"], group["__count"])
"""
JOB_NAMES = {"_odm_slice_reprice": "slice and re-price", "_odm_prepare_viewer": "3D view payload"}


def distinct_files(count, megabytes):
    """``count`` binary STLs of about ``megabytes`` MB, each with its own bytes."""
    triangles = int(megabytes * 2**20 / STL_BYTES_PER_TRIANGLE)
    corners = bumpy_sphere(triangles).reshape(-1, 3)
    base = trimesh.Trimesh(corners, np.arange(len(corners)).reshape(-1, 3))  # welds corners
    files = []
    # Fresh noise every run: files of an earlier run are already stored and would be deduplicated.
    rng = np.random.default_rng()
    for _index in range(count):
        # Move every shared vertex a little: same solid, different bytes.
        moved = base.vertices + rng.normal(scale=1e-4, size=base.vertices.shape)
        mesh = trimesh.Trimesh(moved, base.faces, process=False)
        buffer = io.BytesIO()
        mesh.export(buffer, file_type="stl")
        files.append(buffer.getvalue())
    return files


def engine_alone(files):
    timings = []
    for data in files:
        started = time.perf_counter()
        analysed = analyse_upload(data, "part.stl")
        quote_part(analysed.analysis, "FDM", "PLA", 10)
        timings.append(time.perf_counter() - started)
    return timings


def through_api(files, port, key):
    url = f"http://127.0.0.1:{port}/odm/api/v1/quote"
    headers = {"Authorization": f"Bearer {key}"}
    timings = []
    with requests.Session() as session:
        for data in files:
            started = time.perf_counter()
            response = session.post(
                url,
                headers=headers,
                files={"file": ("part.stl", data)},
                data={"process": "FDM", "quantity": "10"},
                timeout=120,
            )
            timings.append(time.perf_counter() - started)
            response.raise_for_status()
    return timings


def measured_load(measure, *args):
    """``measure(*args)`` and the host's load while it ran: the 1-minute load average at its
    start and end and the share of all cores busy (every process, other work included): the
    cores are shared, so the figures say how loaded they were."""
    start_load = os.getloadavg()[0]
    psutil.cpu_percent()
    timings = measure(*args)
    return timings, {
        "start": start_load,
        "end": os.getloadavg()[0],
        "busy": psutil.cpu_percent(),
    }


def background_jobs(since):
    """queue_job's jobs created since ``since`` (UTC): {(job, state): count}."""
    script = JOBS_SCRIPT.format(since=since.strftime("%Y-%m-%d %H:%M:%S"))
    output = odoo("shell", "-d", DATABASE, input=script).stdout
    jobs = {}
    for line in output.splitlines():
        if line.startswith("JOB "):
            _mark, method, state, count = line.split()
            jobs[method, state] = int(count)
    return jobs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--megabytes", type=float, default=5.0)
    args = parser.parse_args()
    ensure_database(DATABASE, "odm_quote")
    key_output = odoo("shell", "-d", DATABASE, input=KEY_SCRIPT).stdout
    key = next(line.split()[1] for line in key_output.splitlines() if line.startswith("API-KEY"))
    files = distinct_files(args.requests + 2, args.megabytes)
    size_mb = statistics.mean(len(data) for data in files) / 2**20
    with serving(DATABASE) as port:
        through_api(files[:2], port, key)  # warm-up: registry, caches, first imports
        since = datetime.datetime.now(datetime.UTC)
        api, api_load = measured_load(through_api, files[2:], port, key)
    engine, engine_load = measured_load(engine_alone, files[2:])
    figures = {
        "api_p50": statistics.median(api),
        "api_p90": percentile(api, 0.9),
        "engine_p50": statistics.median(engine),
    }
    loads = {"API": api_load, "engine alone": engine_load}
    report = render(figures, size_mb, args.requests, loads, background_jobs(since))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    print(report)


def render(figures, size_mb, count, loads, jobs):
    ratio = figures["api_p50"] / figures["engine_p50"]
    load_rows = [
        f"| {phase} | {load['start']:.2f} | {load['end']:.2f} | {load['busy']:.0f} % |"
        for phase, load in loads.items()
    ]
    job_rows = [
        f"| {JOB_NAMES.get(method, method)} | {state} | {number} |"
        for (method, state), number in sorted(jobs.items())
    ] or ["| (none) | | |"]
    return "\n".join(
        [
            "# Quote API round trip",
            "",
            f"Command: `.odm/venv/bin/python -m bench.bench_api_roundtrip` (last run "
            f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores shared with other work, "
            f"one Odoo server in threaded mode on 127.0.0.1 with queue_job's runner).",
            "",
            f"{count} distinct binary STL files of {size_mb:.1f} MB each, posted one after the "
            "other to `/odm/api/v1/quote` (FDM, 10 parts) with an API key, after two warm-up "
            "requests. The baseline is the engine alone on the same files in the same run: load, "
            "analysis, thumbnail and price, without HTTP or database.",
            "",
            "| measure | seconds |",
            "| --- | ---: |",
            f"| API round trip, p50 | {figures['api_p50']:.2f} |",
            f"| API round trip, p90 | {figures['api_p90']:.2f} |",
            f"| engine alone, p50 | {figures['engine_p50']:.2f} |",
            f"| ratio API / engine (p50) | {ratio:.2f} |",
            "",
            "The host while each phase ran (load average over 1 minute; CPU busy over all "
            "cores and every process, this benchmark's and others'):",
            "",
            "| phase | load at start | load at end | CPU busy |",
            "| --- | ---: | ---: | ---: |",
            *load_rows,
            "",
            "Background jobs the API requests queued (each answer is refined by a slice, each "
            "part's 3D view is made ahead), by state when the server stopped:",
            "",
            "| job | state | count |",
            "| --- | --- | ---: |",
            *job_rows,
            "",
            "Target: p50 <= 1 s.",
            "",
        ]
    )


if __name__ == "__main__":
    main()

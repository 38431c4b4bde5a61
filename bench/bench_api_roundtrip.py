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
key = env["res.users.apikeys"].sudo().with_user(env.ref("base.user_admin"))._generate(
    None, "bench", None
)
env.cr.commit()
print("API-KEY", key)
"""


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
        api = through_api(files[2:], port, key)
    engine = engine_alone(files[2:])
    figures = {
        "api_p50": statistics.median(api),
        "api_p90": percentile(api, 0.9),
        "engine_p50": statistics.median(engine),
    }
    report = render(figures, size_mb, args.requests)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    print(report)


def render(figures, size_mb, count):
    ratio = figures["api_p50"] / figures["engine_p50"]
    return "\n".join(
        [
            "# Quote API round trip",
            "",
            f"Command: `.odm/venv/bin/python -m bench.bench_api_roundtrip` (last run "
            f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores shared with other work, "
            f"one Odoo server in threaded mode on 127.0.0.1).",
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
            "Target: p50 <= 1 s.",
            "",
        ]
    )


if __name__ == "__main__":
    main()

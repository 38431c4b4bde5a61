"""Benchmark: the part's 3D view on its portal page, in headless Chromium, for large parts.

Run from the repository root after ``./odm setup``:

    .odm/venv/bin/python -m bench.bench_viewer [--sizes 10000,100000,1000000] [--database odm_bench]

It builds (or updates) the database, stores bumpy spheres of the requested triangle counts
(bench_mesh_analysis) as parts of the administrator's company, timing each upload and the job
the upload queues (the viewer payload, made in the bounded analysis child), starts Odoo on a
free local port and, per part: times the first request of the viewer payload (the stored one
drawn against the part's process), then opens ``/my/parts/<id>`` in a fresh Chromium profile
(cold browser cache) and reads from the page's Performance API the bytes it received and the
time from navigation to the first rendered frame of the viewer. The baseline, in the same run
and the same page load, is the page as it was before the viewer: its ``load`` event, when the
HTML, the assets and the PNG thumbnail are in. Results go to ``docs/benchmarks/viewer.md``.
"""

import argparse
import datetime
import gzip
import io
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import requests
import trimesh

REPO = Path(__file__).resolve().parents[1]

from bench.bench_mesh_analysis import bumpy_sphere  # noqa: E402
from bench.host import cpu_model  # noqa: E402
from bench.odoo_instance import ensure_database, odoo, serving  # noqa: E402
from odm_engine.mesh.viewer_export import read_payload  # noqa: E402
from tools.screenshot import CHROMIUM_FLAGS, DevTools, odoo_session  # noqa: E402

REPORT = REPO / "docs" / "benchmarks" / "viewer.md"
PART_SCRIPT = """
import hashlib, time
from odm_engine.service import analyse_upload
partner = env.ref("base.user_admin").partner_id
parts = env["odm.part"].with_user(env.ref("base.user_admin"))
# The first analysis starts the sandbox's zygote (seconds): not part of any figure.
analyse_upload(open({paths!r}[0], "rb").read(), "warm-up.stl", limits=parts._analysis_limits())
for path in {paths!r}:
    data = open(path, "rb").read()
    name = path.rsplit("/", 1)[-1]
    parts.sudo().search([("sha256", "=", hashlib.sha256(data).hexdigest())]).unlink()
    started = time.perf_counter()
    part = parts.from_upload(data, name, partner=partner)
    uploaded = time.perf_counter() - started
    started = time.perf_counter()
    part._odm_prepare_viewer()  # the job the upload queued, as the job runner performs it
    made = time.perf_counter() - started
    if not part.viewer_payload:
        raise SystemExit(f"{{name}}: the upload's job made no viewer payload")
    print("PART", part.id, part.triangles, uploaded, made)
env.cr.commit()
"""
# Sums what the page received: the document, and every resource (transferSize counts headers
# and the compressed body; 0 for what came from the browser's cache).
PAGE_FIGURES = """(() => {
    const navigation = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    const rendered = performance.getEntriesByName("odm-viewer-rendered")[0];
    const bytes = (entries) => entries.reduce((sum, entry) => sum + (entry.transferSize || 0), 0);
    const payload = resources.filter((entry) => entry.name.includes("/viewer"));
    const three = resources.filter((entry) => entry.name.includes("/static/lib/three/"));
    const bundle = resources.filter((entry) => entry.name.includes("odm_quote.assets_viewer"));
    const beforeLoad = resources.filter((entry) => entry.responseEnd <= navigation.loadEventEnd);
    return {
        rendered_ms: rendered ? rendered.startTime : null,
        load_ms: navigation.loadEventEnd,
        total_bytes: navigation.transferSize + bytes(resources),
        baseline_bytes: navigation.transferSize + bytes(beforeLoad),
        payload_bytes: bytes(payload),
        three_bytes: bytes(three),
        viewer_bytes: bytes(payload) + bytes(three) + bytes(bundle),
        state: document.querySelector(".o_odm_viewer")?.dataset.rendered || null,
    };
})()"""


def write_stl(triangles, path):
    corners = triangles.reshape(-1, 3)
    mesh = trimesh.Trimesh(corners, np.arange(len(corners)).reshape(-1, 3))
    buffer = io.BytesIO()
    mesh.export(buffer, file_type="stl")
    path.write_bytes(buffer.getvalue())


def store_parts(database, sizes, folder):
    paths = []
    for size in sizes:
        path = Path(folder) / f"bumpy_{size}.stl"
        write_stl(bumpy_sphere(size), path)
        paths.append(str(path))
    output = odoo("shell", "-d", database, input=PART_SCRIPT.format(paths=paths)).stdout
    return [
        (int(part_id), int(triangles), float(uploaded), float(made))
        for _, part_id, triangles, uploaded, made in (
            line.split() for line in output.splitlines() if line.startswith("PART")
        )
    ]


def first_payload(base_url, session_id, part_id):
    """Seconds the server takes to send the payload the first time (the stored one, drawn
    against the part's process), the bytes sent and uncompressed, and the triangles it shows."""
    started = time.perf_counter()
    response = requests.get(
        f"{base_url}/my/parts/{part_id}/viewer",
        cookies={"session_id": session_id},
        headers={"Accept-Encoding": "gzip"},
        stream=True,
        timeout=300,
    )
    body = response.raw.read()
    response.raise_for_status()
    elapsed = time.perf_counter() - started
    payload = gzip.decompress(body)
    return elapsed, len(body), len(payload), read_payload(payload)[0]["triangles"]


def page_in_chromium(base_url, session_id, part_id, port):
    """Page figures of the part's portal page opened in a fresh Chromium profile, then again."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [
                "chromium",
                *CHROMIUM_FLAGS,
                f"--remote-debugging-port={port}",
                f"--user-data-dir={profile}",
                "--window-size=1400,900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            tools = DevTools(port)
            host = base_url.split("://", 1)[1].split(":")[0]
            tools.call("Network.enable")
            tools.call("Network.setCookie", name="session_id", value=session_id, domain=host)
            # Twice in one profile: a first view, then again with the browser's cache.
            return [_viewed(tools, f"{base_url}/my/parts/{part_id}") for _visit in range(2)]
        finally:
            browser.terminate()
            browser.wait(10)


def _viewed(tools, url):
    """The page's figures once its viewer has drawn (or given up)."""
    tools.call("Page.navigate", url=url)
    time.sleep(0.2)  # the previous page's figures must not be read
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        figures = tools.evaluate(PAGE_FIGURES).get("value") or {}
        if figures.get("state") in ("1", "text", "error") and figures.get("load_ms"):
            return figures
        time.sleep(0.1)
    raise SystemExit(f"the viewer of {url} did not render within 120 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--database", default="odm_bench")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    ensure_database(args.database, "odm_quote")
    with tempfile.TemporaryDirectory() as folder:
        parts = store_parts(args.database, sizes, folder)
    rows = []
    with serving(args.database) as port:
        base_url = f"http://127.0.0.1:{port}"
        session_id = odoo_session(base_url, args.database, "admin", "admin")
        for index, (part_id, triangles, uploaded_s, made_s) in enumerate(parts):
            served_s, sent, raw, shown = first_payload(base_url, session_id, part_id)
            if not index:
                page_in_chromium(base_url, session_id, part_id, port + 1)  # warm-up: assets
            first, again = page_in_chromium(base_url, session_id, part_id, port + 2 + index)
            if first["state"] != "1":
                raise SystemExit(f"part {part_id}: the viewer did not draw ({first['state']})")
            rows.append((triangles, shown, uploaded_s, made_s, served_s, sent, raw, first, again))
    report = render(rows)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    print(report)


def render(rows):
    kb = 1 / 1024
    lines = [
        "# 3D viewer benchmark",
        "",
        "Command (from the repository root):",
        "",
        "    .odm/venv/bin/python -m bench.bench_viewer",
        "",
        "Input: smoothly bumped spheres (bench_mesh_analysis) stored as parts of the",
        "administrator's company. *Upload* is `odm.part.from_upload` (analysis in the bounded",
        "child, stored), what the customer waits for; it queues a job that makes the viewer",
        "payload (*payload job*: in the bounded child again, the part is decimated to at most",
        "100,000 triangles and the findings drawn on it, odm_engine.mesh.viewer_export, stored",
        "with the part), performed here as the job runner would. *First view* is the first",
        "request of `/my/parts/<id>/viewer`: the stored payload drawn against the part's",
        "process (viewer_export.restyle, no mesh work), compressed and sent. The page figures are",
        "`/my/parts/<id>` opened in a fresh headless Chromium profile (nothing cached in the",
        "browser, the payload cached on the server), read from the page's Performance API:",
        "*page load* is the page as it was before the viewer (HTML, assets and the PNG",
        "thumbnail: its `load` event) and the baseline; *first render* is the viewer's first",
        "frame, measured from the same navigation start. Bytes are what crossed the network",
        "(compressed bodies and headers): the payload is sent gzip-compressed, three.js",
        "(module build, 2.1 MB on disk) as static files, cached by the browser after the first",
        "view of any part. *Viewer bytes* are the payload, three.js and the viewer bundle;",
        "*all bytes* everything the page received, Odoo's lazily loaded frontend assets",
        "included. *Again* is the same page opened a second time in the same browser (its",
        "cache warm).",
        "",
        "| triangles | shown | upload (s) | payload job (s) | first view (s) "
        "| payload sent (KB) | payload raw (KB) "
        "| page load, baseline (ms) | its bytes (KB) | first render (ms) | viewer bytes (KB) "
        "| all bytes (KB) | again: first render (ms) | again: bytes (KB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for triangles, shown, uploaded_s, made_s, served_s, sent, raw, first, again in rows:
        lines.append(
            f"| {triangles:,} | {shown:,} | {uploaded_s:.2f} | {made_s:.2f} | {served_s:.2f} "
            f"| {sent * kb:,.0f} | {raw * kb:,.0f} "
            f"| {first['load_ms']:,.0f} | {first['baseline_bytes'] * kb:,.0f} "
            f"| {first['rendered_ms']:,.0f} | {first['viewer_bytes'] * kb:,.0f} "
            f"| {first['total_bytes'] * kb:,.0f} | {again['rendered_ms']:,.0f} "
            f"| {again['total_bytes'] * kb:,.0f} |"
        )
    lines += [
        "",
        f"Machine: {cpu_model()}, shared with other work while measured.",
        "",
        f"Last run: {datetime.date.today().isoformat()}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""Benchmark: the part's 3D view on its portal page, in headless Chromium, for large parts.

Run from the repository root after ``./odm setup``:

    .odm/venv/bin/python -m bench.bench_viewer [--sizes 10000,100000,1000000] [--database odm_bench]

It builds (or updates) the database, stores bumpy spheres of the requested triangle counts
(bench_mesh_analysis) as parts of the administrator's company, starts Odoo on a free local port
and, per part: times the first request of the viewer payload (the server makes it in the bounded
analysis child and caches it), then opens ``/my/parts/<id>`` in a fresh Chromium profile (cold
browser cache) and reads from the page's Performance API the bytes it received and the time
from navigation to the first rendered frame of the viewer. The baseline, in the same run and the
same page load, is the page as it was before the viewer: its ``load`` event, when the HTML, the
assets and the PNG thumbnail are in. Results go to ``docs/benchmarks/viewer.md``.
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
import base64, sys
partner = env.ref("base.user_admin").partner_id
for path in {paths!r}:
    data = open(path, "rb").read()
    part = env["odm.part"].with_user(env.ref("base.user_admin")).from_upload(
        data, path.rsplit("/", 1)[-1], partner=partner
    )
    part.write({{"viewer_payload": False, "viewer_payload_key": False}})
    print("PART", part.id, part.triangles)
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
        (int(line.split()[1]), int(line.split()[2]))
        for line in output.splitlines()
        if line.startswith("PART")
    ]


def first_payload(base_url, session_id, part_id):
    """Seconds the server takes to make and send the payload the first time, the bytes sent
    and uncompressed, and the triangles it shows."""
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
        for index, (part_id, triangles) in enumerate(parts):
            made_s, sent, raw, shown = first_payload(base_url, session_id, part_id)
            if not index:
                page_in_chromium(base_url, session_id, part_id, port + 1)  # warm-up: assets
            first, again = page_in_chromium(base_url, session_id, part_id, port + 2 + index)
            if first["state"] != "1":
                raise SystemExit(f"part {part_id}: the viewer did not draw ({first['state']})")
            rows.append((triangles, shown, made_s, sent, raw, first, again))
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
        "administrator's company. *Payload made* is the first request of",
        "`/my/parts/<id>/viewer`: the server loads the file again in the bounded analysis child,",
        "decimates it to at most 100,000 triangles and draws the findings on it",
        "(odm_engine.mesh.viewer_export), then caches it on the part. The page figures are",
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
        "cache warm). The first payload of a fresh server also starts the analysis child's",
        "zygote (about 3 s, once per server process).",
        "",
        "| triangles | shown | payload made (s) | payload sent (KB) | payload raw (KB) "
        "| page load, baseline (ms) | its bytes (KB) | first render (ms) | viewer bytes (KB) "
        "| all bytes (KB) | again: first render (ms) | again: bytes (KB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for triangles, shown, made_s, sent, raw, first, again in rows:
        lines.append(
            f"| {triangles:,} | {shown:,} | {made_s:.2f} | {sent * kb:,.0f} | {raw * kb:,.0f} "
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

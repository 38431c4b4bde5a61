"""Benchmark: a federation RFQ round trip to a partner instance that analyses a ~1 MB STL.

Run from the repository root after ``./odm setup``:

    .odm/venv/bin/python -m bench.bench_rfq_roundtrip [--requests 20]

It builds (once) a database ``odm_bench_fed`` with odm_partner_network (the partner shop),
connects a client shop to it (a federation peer, its API key), starts Odoo on a free local port
serving only that database, then sends signed RFQs with the file (full geometry sharing) through
``FederationClient``, the client our shop's Odoo uses. The partner authenticates and checks the
signature, analyses the file, prices it with its quoting engine, stores the part and the quote
for the client and answers. Every request sends the same solid under another name (the STL
header or ``solid`` line), so no analysis is skipped as a duplicate. In the same run the
partner's engine work alone (load, analysis, thumbnail, price: no HTTP, no database) is timed on
the same files, so the ratio shows what the federation adds. The STL is the file of the shared
corpus (/work/shared/corpus/meshes, or ``--corpus``) closest to 1 MB; without it the benchmark
stops and says so. Results go to ``docs/benchmarks/rfq_roundtrip.md``.
"""

import argparse
import base64
import datetime
import os
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from bench.odoo_instance import ensure_database, odoo, percentile, serving  # noqa: E402
from odm_engine.network.federation_client import FederationClient  # noqa: E402
from odm_engine.pricing.quote import quote_part  # noqa: E402
from odm_engine.service import analyse_upload  # noqa: E402

DATABASE = "odm_bench_fed"
CORPUS = Path("/work/shared/corpus/meshes")
REPORT = REPO / "docs" / "benchmarks" / "rfq_roundtrip.md"
TARGET_BYTES = 2**20
STL_HEADER_BYTES = 80
PROCESS, MATERIAL, QUANTITY = "FDM", "PLA", 10
PEER_SCRIPT = """
partner = env["res.partner"].search([("name", "=", "Bench client shop")], limit=1)
partner = partner or env["res.partner"].create({"name": "Bench client shop", "is_company": True})
peer = env["odm.federation.peer"].search([("partner_id", "=", partner.id)])
peer = peer or env["odm.federation.peer"].create(
    {"partner_id": partner.id, "base_url": "http://127.0.0.1", "key_id": "bench-client-shop"}
)
key = peer._odm_issue_api_key()
env.cr.commit()
print("PEER", peer.key_id, peer.secret, key)
"""


def corpus_stl(corpus):
    """The STL of the corpus closest to 1 MB, or None."""
    candidates = [path for path in corpus.glob("*") if path.suffix.lower() == ".stl"]
    return min(candidates, key=lambda path: abs(path.stat().st_size - TARGET_BYTES), default=None)


def distinct_files(data, count):
    """``count`` copies of an STL that differ only in their name: the 80-byte header of a binary
    STL, the ``solid`` line of an ASCII one (same solid, new bytes, so a new part each time)."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
    names = [f"odm-bench-{stamp}-{index}".encode() for index in range(count)]
    if data[:5].lower() == b"solid" and b"facet" in data[:1024]:
        body = data[data.index(b"\n") :]
        return [b"solid " + name + body for name in names]
    return [
        name.ljust(STL_HEADER_BYTES)[:STL_HEADER_BYTES] + data[STL_HEADER_BYTES:] for name in names
    ]


def engine_alone(files, filename):
    timings = []
    for data in files:
        started = time.perf_counter()
        analysed = analyse_upload(data, filename)
        quote_part(analysed.analysis, PROCESS, MATERIAL, QUANTITY)
        timings.append(time.perf_counter() - started)
    return timings


def through_federation(client, files, filename):
    timings = []
    for data in files:
        payload = {
            "process": PROCESS,
            "material": MATERIAL,
            "quantity": QUANTITY,
            "part": {"filename": filename, "file_base64": base64.b64encode(data).decode()},
        }
        started = time.perf_counter()
        answer = client.request_quote(payload)
        timings.append(time.perf_counter() - started)
        assert answer["unit_price"] > 0, answer
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    source = corpus_stl(args.corpus) if args.corpus.is_dir() else None
    if source is None:
        raise SystemExit(f"SKIPPED: no STL in {args.corpus} (the shared test corpus is absent)")
    ensure_database(DATABASE, "odm_partner_network")
    output = odoo("shell", "-d", DATABASE, "--no-http", input=PEER_SCRIPT).stdout
    key_id, secret, api_key = next(
        line.split()[1:] for line in output.splitlines() if line.startswith("PEER ")
    )
    files = distinct_files(source.read_bytes(), args.requests + 2)
    with serving(DATABASE) as port:
        client = FederationClient(
            f"http://127.0.0.1:{port}", key_id, secret, api_key, timeout_s=120
        )
        try:
            through_federation(client, files[:2], source.name)  # warm-up: caches, first imports
            federation = through_federation(client, files[2:], source.name)
        finally:
            client.close()
    engine = engine_alone(files[2:], source.name)
    figures = {
        "rfq_p50": statistics.median(federation),
        "rfq_p90": percentile(federation, 0.9),
        "engine_p50": statistics.median(engine),
    }
    report = render(figures, source, args.requests)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    print(report)


def render(figures, source, count):
    ratio = figures["rfq_p50"] / figures["engine_p50"]
    return "\n".join(
        [
            "# Federation RFQ round trip",
            "",
            f"Command: `.odm/venv/bin/python -m bench.bench_rfq_roundtrip` (last run "
            f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores shared with other work, "
            f"the partner's Odoo server in threaded mode on 127.0.0.1).",
            "",
            f"{count} RFQs, one after the other after two warm-ups, from our shop's federation "
            f"client to the partner's `/odm/federation/v1/rfq` with the file "
            f"`{source.name}` of the shared corpus ({source.stat().st_size / 1e6:.2f} MB, "
            f"{'ASCII' if source.read_bytes()[:5].lower() == b'solid' else 'binary'} STL; each "
            "request names the solid differently so the partner analyses every one), "
            f"{PROCESS}/{MATERIAL}, {QUANTITY} parts. A round trip is: JSON and base64 encoding, "
            "HMAC signing, HTTP, the partner checking the API key, signature and nonce, analysing "
            "and pricing the part with its own engine, storing the part and the quote, and the "
            "answer. The baseline is the partner's engine alone on the same files in the same "
            "run: load, analysis, thumbnail and price, without HTTP or database.",
            "",
            "| measure | seconds |",
            "| --- | ---: |",
            f"| RFQ round trip, p50 | {figures['rfq_p50']:.2f} |",
            f"| RFQ round trip, p90 | {figures['rfq_p90']:.2f} |",
            f"| partner engine alone, p50 | {figures['engine_p50']:.2f} |",
            f"| ratio round trip / engine (p50) | {ratio:.2f} |",
            "",
            "Target: p50 <= 1.5 s.",
            "",
        ]
    )


if __name__ == "__main__":
    main()

"""Benchmark: confirming sales orders of quoted parts, with odm_mrp's make-to-order step.

Run from the repository root after ``./odm setup``:

    .odm/venv/bin/python -m bench.bench_confirm_orders [--orders 100] [--config .odm/odoo.conf]

It builds (once) a scratch database (``--database``, default ``odm_bench_mrp``) with the four
addons and their demo data (machines, work centers, routing templates, raw materials with
vendors), then, in one
transaction that is rolled back at the end, prepares ``--orders`` quotations of three new quoted
parts each (two FDM in PLA, one CNC in aluminium) and as many of three plain consumable lines
with the same quantities. Orders of both kinds are confirmed alternately; each confirmation is
timed and its SQL queries counted (``cursor.sql_log_count``). The plain orders are the baseline:
Odoo's own confirmation without odm_mrp's step (revision product, BoM, routing, MO, purchase).
Results go to ``docs/benchmarks/confirm_orders.md``.
"""

import argparse
import datetime
import statistics
import subprocess
import sys
import time
from pathlib import Path

import trimesh

REPO = Path(__file__).resolve().parents[1]
ADDONS = "odm_quote,odm_mrp,odm_partner_network,odm_machine_link"
REPORT = REPO / "docs" / "benchmarks" / "confirm_orders.md"
QUANTITIES = (10, 4, 25)


def ensure_database(config, database):
    import odoo  # noqa: PLC0415 (Odoo is set up by ./odm setup, not a bench import)

    odoo.tools.config.parse_config(["-c", str(config)])
    if database not in odoo.service.db.list_dbs(True):
        print(f"creating database {database} (once)...", flush=True)
        subprocess.run(
            [
                *(sys.executable, "-m", "odoo", "-c", str(config), "-d", database),
                *("-i", ADDONS, "--stop-after-init", "--log-level=warn"),
            ],
            check=True,
        )
    odoo.tools.config.parse_config(["-c", str(config), "-d", database, "--log-level=warn"])
    return odoo


def part_file(order_index, line_index):
    """A distinct box per order and line, so every line is a new part and a new product."""
    extents = (20 + order_index % 40, 15 + line_index * 5, 8 + order_index % 7)
    return trimesh.creation.box(extents=extents).export(file_type="stl")


def prepare(env, count):
    """``count`` quotations of three quoted parts and ``count`` of three plain lines."""
    fdm, cnc = env.ref("odm_quote.process_fdm"), env.ref("odm_quote.process_cnc")
    pla, aluminium = env.ref("odm_quote.material_pla"), env.ref("odm_quote.material_al6061")
    options = ((fdm, pla), (fdm, pla), (cnc, aluminium))
    plain = env["product.product"].create({"name": "Bench plain product", "type": "consu"})
    customer = env["res.partner"].create({"name": "Bench customer"})
    quoted, plain_orders = [], []
    for index in range(count):
        order = env["sale.order"].create({"partner_id": customer.id})
        for line_index, ((process, material), quantity) in enumerate(
            zip(options, QUANTITIES, strict=True)
        ):
            upload = (f"bench-{index}-{line_index}.stl", part_file(index, line_index))
            order._odm_add_uploads([upload], process, quantity, material=material)
        quoted.append(order)
        plain_orders.append(
            env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "order_line": [
                        (0, 0, {"product_id": plain.id, "product_uom_qty": quantity})
                        for quantity in QUANTITIES
                    ],
                }
            )
        )
    env.flush_all()
    return quoted, plain_orders


def confirm(env, order):
    """Seconds and SQL queries of one confirmation, flushed to the database."""
    cursor = env.cr
    queries = cursor.sql_log_count
    start = time.perf_counter()
    order.action_confirm()
    env.flush_all()
    return time.perf_counter() - start, cursor.sql_log_count - queries


def run(odoo, database, count):
    registry = odoo.modules.registry.Registry(database)
    with registry.cursor() as cursor:
        env = odoo.api.Environment(cursor, odoo.SUPERUSER_ID, {"tracking_disable": True})
        try:
            quoted, plain = prepare(env, count)
            measured = {"quoted": [], "plain": []}
            for quoted_order, plain_order in zip(quoted, plain, strict=True):
                measured["quoted"].append(confirm(env, quoted_order))
                measured["plain"].append(confirm(env, plain_order))
            productions = sum(order.mrp_production_count for order in quoted)
        finally:
            cursor.rollback()
    return measured, productions


def summary(samples):
    seconds = sorted(sample[0] for sample in samples)
    return {
        "total_s": sum(seconds),
        "p50_s": statistics.median(seconds),
        "p90_s": seconds[int(len(seconds) * 0.9) - 1],
        "queries": statistics.mean(sample[1] for sample in samples),
    }


def render(measured, productions, count):
    quoted, plain = summary(measured["quoted"]), summary(measured["plain"])
    rows = [
        ("wall time for all orders (s)", "total_s", ".1f"),
        ("seconds per order, p50", "p50_s", ".3f"),
        ("seconds per order, p90", "p90_s", ".3f"),
        ("SQL queries per order (mean)", "queries", ".0f"),
    ]
    table = "\n".join(
        f"| {label} | {quoted[key]:{spec}} | {plain[key]:{spec}} | {quoted[key] / plain[key]:.1f} |"
        for label, key, spec in rows
    )
    return f"""# Confirming orders of quoted parts

Command: `.odm/venv/bin/python -m bench.bench_confirm_orders --orders {count}` (last run \
{datetime.date.today().isoformat()}, 2 cores shared with other work, one process, demo data).

{count} quotations of three new quoted parts each (two FDM in PLA, one CNC in aluminium 6061;
quantities {", ".join(map(str, QUANTITIES))}) are confirmed one by one, alternating with
{count} orders of three plain consumable lines with the same quantities: Odoo's own
confirmation without odm_mrp's make-to-order step. Each quoted order creates three part-revision
products, three BoMs with routings, three manufacturing orders with their work orders, and
purchase proposals for the raw materials through the reordering rules; the run made
{productions} manufacturing orders. Everything runs in one transaction that is rolled back.

| measure | quoted parts (make-to-order) | plain lines | ratio |
| --- | ---: | ---: | ---: |
{table}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--config", type=Path, default=REPO / ".odm" / "odoo.conf")
    parser.add_argument("--database", default="odm_bench_mrp", help="built once if missing")
    args = parser.parse_args()
    odoo = ensure_database(args.config, args.database)
    measured, productions = run(odoo, args.database, args.orders)
    report = render(measured, productions, args.orders)
    REPORT.write_text(report)
    print(report)


if __name__ == "__main__":
    main()

"""Concurrent dispatchers on committed data, counting double dispatches.

Shared by the stress test and ``bench/bench_dispatch_stress.py``. Every worker thread has its
own database connection and transaction, as separate Odoo workers or cron threads would; all
start each round together (a barrier) and run the real ``_dispatch_ready``. After each round
the database is asked how many active jobs each work order and machine holds: anything above
one is a double dispatch. Between rounds the jobs are removed, which puts the work orders back
in the queue for the next round.
"""

import threading
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, sql_db
from odoo.modules.registry import Registry

from .common import fdm_machine, ready_step

MARK = "STRESS"
# What a losing dispatcher may meet: a row another one locked or changed, a unique index.
LOST_RACE = (
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    pg_errors.UniqueViolation,
    pg_errors.DeadlockDetected,
)


@dataclass
class StressResult:
    workers: int
    rounds: int
    machines: int
    workorders: int
    dispatched: int = 0
    double_dispatches: int = 0
    lost_races: int = 0
    expected: int = 0
    round_seconds: list = field(default_factory=list)


def _env(cr):
    return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


def _cursor(dbname):
    return closing(sql_db.db_connect(dbname).cursor())


def setup(dbname, machines, workorders):
    """Commits ``machines`` manual PETG printers and ``workorders`` ready work orders; returns
    the stock of their components before, for ``cleanup`` to put back."""
    with _cursor(dbname) as cr:
        env = _env(cr)
        petg = env.ref("odm_quote.material_petg")
        bom = env["mrp.bom"].search(
            [
                ("odm_quote_id.material_id", "=", petg.id),
                ("odm_quote_id.process_id.code", "=", "FDM"),
            ],
            limit=1,
        )
        for index in range(machines):
            fdm_machine(
                env,
                f"{MARK} {index}",
                loaded_material_id=petg.id,
                build_x_mm=400,
                build_y_mm=400,
                build_z_mm=400,
            )
        location = env["mrp.production"].new({"bom_id": bom.id}).location_src_id
        stock_before = _stock(env, bom.bom_line_ids.product_id, location)
        for _index in range(workorders):
            production = env["mrp.production"].create(
                {"product_id": bom.product_id.id, "bom_id": bom.id, "product_qty": 1,
                 "origin": MARK}
            )  # fmt: skip
            production.action_confirm()
            ready_step(production)
        cr.commit()
        return location.id, stock_before


def _stock(env, products, location):
    quants = env["stock.quant"].search(
        [("product_id", "in", products.ids), ("location_id", "=", location.id)]
    )
    return {
        product.id: sum(
            quants.filtered(lambda quant, p=product: quant.product_id == p).mapped("quantity")
        )
        for product in products
    }


def cleanup(dbname, stock_before=None):
    """Removes what ``setup`` and the rounds committed, and the stock ``setup`` added."""
    with _cursor(dbname) as cr:
        env = _env(cr)
        machines = env["odm.machine"].search([("name", "=like", f"{MARK} %")])
        productions = env["mrp.production"].search([("origin", "=", MARK)])
        _forget_jobs(env, machines.ids)
        productions.action_cancel()
        productions.workorder_ids.unlink()
        productions.unlink()
        machines.unlink()
        if stock_before:
            location_id, quantities = stock_before
            location = env["stock.location"].browse(location_id)
            products = env["product.product"].browse(list(quantities))
            for product in products:
                added = _stock(env, product, location)[product.id] - quantities[product.id]
                env["stock.quant"]._update_available_quantity(product, location, -added)
        cr.commit()


def _forget_jobs(env, machine_ids):
    """Removes the stress machines' jobs and frees their work orders for the next round (a
    cancellation would count towards holding work that machines keep refusing)."""
    jobs = env["odm.machine.job"].search([("machine_id", "in", machine_ids)])
    jobs.workorder_ids.odm_machine_job_id = False
    jobs.unlink()


def _worker(dbname, barrier, outcomes):
    with _cursor(dbname) as cr:
        barrier.wait()
        try:
            jobs = _env(cr)["odm.machine.job"]._dispatch_ready()
            cr.commit()
            outcomes.append(("dispatched", len(jobs)))
        except LOST_RACE:
            cr.rollback()
            outcomes.append(("lost", 1))


def _doubles(cr, machine_ids):
    """Active jobs beyond the first, per work order and per machine."""
    active = tuple(_env(cr)["odm.machine.job"].ACTIVE)
    cr.execute(
        """SELECT rel.mrp_workorder_id, job.machine_id
             FROM odm_machine_job job
             JOIN mrp_workorder_odm_machine_job_rel rel ON rel.odm_machine_job_id = job.id
            WHERE job.state IN %s AND job.machine_id IN %s""",
        [active, tuple(machine_ids)],
    )
    rows = cr.fetchall()
    per_workorder = Counter(workorder for workorder, _machine in rows)
    cr.execute(
        "SELECT machine_id FROM odm_machine_job WHERE state IN %s AND machine_id IN %s",
        [active, tuple(machine_ids)],
    )
    per_machine = Counter(machine for (machine,) in cr.fetchall())
    return sum(n - 1 for n in per_workorder.values()) + sum(n - 1 for n in per_machine.values())


def _unlink_other_machines(dbname):
    """Takes the database's linked machines out of dispatch (committed) before the stress
    machines exist, so the race is only between those and the stress work; returns {machine
    id: link kind} to restore."""
    with _cursor(dbname) as cr:
        env = _env(cr)
        others = env["odm.machine"].search([("link_kind", "!=", "none")])
        kinds = {machine.id: machine.link_kind for machine in others}
        others.write({"link_kind": "none"})
        cr.commit()
        return kinds


def _relink(dbname, kinds):
    with _cursor(dbname) as cr:
        env = _env(cr)
        for machine_id, kind in kinds.items():
            env["odm.machine"].browse(machine_id).link_kind = kind
        cr.commit()


def run(dbname, workers=8, rounds=5, machines=3, workorders=6):
    """Sets up, runs ``rounds`` rounds of ``workers`` concurrent dispatchers, cleans up."""
    Registry(dbname)
    result = StressResult(workers, rounds, machines, workorders)
    other_machines = _unlink_other_machines(dbname)
    stock_before = setup(dbname, machines, workorders)
    try:
        with _cursor(dbname) as cr:
            machine_ids = _env(cr)["odm.machine"].search([("name", "=like", f"{MARK} %")]).ids
        for _round in range(rounds):
            barrier, outcomes = threading.Barrier(workers), []
            threads = [
                threading.Thread(target=_worker, args=(dbname, barrier, outcomes))
                for _worker_index in range(workers)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            result.round_seconds.append(time.perf_counter() - started)
            result.dispatched += sum(n for kind, n in outcomes if kind == "dispatched")
            result.lost_races += sum(n for kind, n in outcomes if kind == "lost")
            result.expected += min(machines, workorders)
            with _cursor(dbname) as cr:
                result.double_dispatches += _doubles(cr, machine_ids)
                _forget_jobs(_env(cr), machine_ids)
                cr.commit()
    finally:
        cleanup(dbname, stock_before)
        _relink(dbname, other_machines)
    return result

"""Two shops, two databases, one real Odoo HTTP server: the whole federation flow end to end.

Shop A (our database) asks shop B for capacity and a quote, then places an order; B makes its
sales order and, through odm_mrp, its manufacturing order; B's production starts, ends and the
parts ship; B's status callbacks (queue_job, after commit) update A's purchase order; A receives
the parts. A request refused after its signature check cannot be sent again: its nonce is kept
although its transaction is rolled back (only real cursors show that, not HttpCase's test
cursor, which rolls back whatever the request wrote). Real cursors show the other side too: a
status callback that hit a serialization failure, which Odoo serves again, passes the replay
guard on that retry, while the same bytes sent again are refused. Both databases are fresh
copies (one install, then a template copy) served by an Odoo server subprocess on a free port;
both are dropped and the server stopped, even on failure.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path
from unittest.mock import patch

import requests

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import SQL, config

from odoo.addons.odm_quote.tests.common import box_stl

from odm_engine.network import signing
from odm_engine.network.federation_client import API_PREFIX

from .test_federation_api import connect_peer

SECRET = "two-shops-shared-secret-0123456789"
KEY_ID = "shop-a-shop-b"
QUANTITY = 4
INSTALL_TIMEOUT_S = 600
CALLBACK_TIMEOUT_S = 120


def _odoo_command():
    """odoo-bin of this interpreter's environment."""
    return shutil.which("odoo", path=str(Path(sys.executable).parent)) or shutil.which("odoo")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _drop_database(name):
    """Drops a database of this test and its filestore (whatever state it is in)."""
    Registry.delete(name)
    odoo.sql_db.close_db(name)
    with closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
        cr._cnx.autocommit = True
        cr.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid != pg_backend_pid()",
            (name,),
        )
        cr.execute(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(name)))
    shutil.rmtree(config.filestore(name), ignore_errors=True)


@contextmanager
def _bound_session(base_url, database):
    """A requests session for the shops' server, bound to ``database`` (it serves both)."""
    with requests.Session() as http:
        http.get(
            f"{base_url}/web/login", params={"db": database}, allow_redirects=False, timeout=30
        )
        yield http


def _wait_until_blocked_by(database, blocker_pid):
    """Waits until a session of ``database`` waits for a lock the backend ``blocker_pid`` holds."""
    deadline = time.monotonic() + 60
    with closing(odoo.sql_db.db_connect(database).cursor()) as cr:
        while True:
            cr.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                (blocker_pid,),
            )
            if cr.fetchone()[0]:
                return
            cr.rollback()  # pg_stat_activity is read once per transaction
            if time.monotonic() > deadline:
                raise AssertionError("the server never waited for the test's lock")
            time.sleep(0.1)


@contextmanager
def _env(database):
    """A superuser environment of ``database``, committed on success."""
    with Registry(database).cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


@tagged("post_install", "-at_install")
class TestFederationTwoShops(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        prefix = get_db_name()
        cls.db_a, cls.db_b = f"{prefix}_fed_a", f"{prefix}_fed_b"
        for name in (cls.db_a, cls.db_b):
            _drop_database(name)
            cls.addClassCleanup(_drop_database, name)
        cls.log = tempfile.NamedTemporaryFile(prefix="odm-federation-", suffix=".log")  # noqa: SIM115
        cls.addClassCleanup(cls.log.close)
        odoo_bin = _odoo_command()
        installed = subprocess.run(
            [
                odoo_bin,
                "-c",
                config.rcfile,
                "-d",
                cls.db_a,
                "-i",
                "odm_partner_network",
                "--stop-after-init",
                "--no-http",
                "--log-level=warn",
            ],
            stdout=cls.log,
            stderr=subprocess.STDOUT,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
        if installed.returncode:
            raise AssertionError(f"installing {cls.db_a} failed, see {cls.log.name}")
        # A's demo quotations queued their background slices; B, a copy of A, would hold the
        # same jobs (same uuids), which queue_job's runner serving both databases refuses. And
        # the flow is not about slicing: a slice of the received order's line would race with
        # this test's own commits (which Odoo's HTTP layer would retry, this test does not).
        with closing(odoo.sql_db.db_connect(cls.db_a).cursor()) as cr:
            cr.execute("DELETE FROM queue_job")
            cr.execute("UPDATE res_company SET odm_auto_slice = false")
            cr.commit()
        # Loading a registry in a test run would run the modules' at_install tests.
        with patch.dict(config.options, test_enable=False):
            odoo.service.db.exp_duplicate_database(cls.db_a, cls.db_b)
            Registry(cls.db_a)
        cls.port = _free_port()
        cls.base_url = f"http://127.0.0.1:{cls.port}"
        server = subprocess.Popen(
            [
                odoo_bin,
                "-c",
                config.rcfile,
                "-d",
                f"{cls.db_a},{cls.db_b}",
                f"--http-port={cls.port}",
                "--http-interface=127.0.0.1",
                "--max-cron-threads=0",
                "--log-level=warn",
            ],
            stdout=cls.log,
            stderr=subprocess.STDOUT,
            # The shops' server runs queue_job's runner (B's status callbacks are jobs), which
            # the test process's own configuration leaves off.
            env={
                **os.environ,
                "ODOO_QUEUE_JOB_CHANNELS": "root:2,root.odm_slicing:1,root.odm_network:1",
            },
        )
        cls.addClassCleanup(cls._stop, server)
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{cls.base_url}/web/webclient/version_info", timeout=5)
                break
            except requests.RequestException:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the server did not start, see {cls.log.name}") from None
                time.sleep(0.5)

    @classmethod
    def _stop(cls, server):
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)

    def test_order_flows_from_quote_to_received_parts(self):
        stl = box_stl(40, 30, 12)
        # ---- both shops know each other: a partner, a peer, each other's API key
        with _env(self.db_a) as env_a, _env(self.db_b) as env_b:
            shop_b = env_a["res.partner"].create(
                {"name": "Shop B", "is_company": True, "odm_is_manufacturer": True}
            )
            env_a["odm.partner.agreement"].create(
                {
                    "name": "Shop B network agreement",
                    "partner_id": shop_b.id,
                    "sharing_level": "geometry",
                    "state": "active",
                }
            )
            shop_a = env_b["res.partner"].create({"name": "Shop A", "is_company": True})
            peer_a, key_for_b = connect_peer(
                env_a, shop_b, KEY_ID, SECRET, base_url=self.base_url, database=self.db_b
            )
            peer_b, key_for_a = connect_peer(
                env_b, shop_a, KEY_ID, SECRET, base_url=self.base_url, database=self.db_a
            )
            peer_a.remote_api_key = key_for_a
            peer_b.remote_api_key = key_for_b
            # A's customer order: a part A will not make itself.
            fdm, pla = env_a.ref("odm_quote.process_fdm"), env_a.ref("odm_quote.material_pla")
            customer = env_a["res.partner"].create({"name": "End Customer"})
            sale = env_a["sale.order"].create({"partner_id": customer.id})
            sale._odm_add_uploads([("bracket.stl", stl)], fdm, QUANTITY, material=pla)
            sale.action_confirm()
            production = sale.order_line._odm_productions()
            self.assertEqual(len(production), 1)

        # ---- A asks B: capacity, a quote, then the order (over HTTP, signed)
        with _env(self.db_a) as env_a:
            peer = env_a["odm.federation.peer"].search([("key_id", "=", KEY_ID)])
            peer._odm_sync_capacity()
            self.assertEqual(peer.state, "online")
            production = env_a["mrp.production"].browse(production.id)
            quote = production.bom_id.odm_quote_id
            answer = peer._odm_request_quote(
                quote.part_id, quote.process_id, quote.material_id, QUANTITY
            )
            self.assertGreater(answer["unit_price"], 0)
            self.assertTrue(answer["quote_id"], "B kept the part for A")
            purchase = env_a["purchase.order"].create(
                {
                    "partner_id": peer.partner_id.id,
                    "odm_production_id": production.id,
                    "odm_offload_kind": "production",
                    "order_line": [
                        odoo.Command.create(
                            {
                                "product_id": production.product_id.id,
                                "product_qty": QUANTITY,
                                "price_unit": answer["unit_price"],
                            }
                        )
                    ],
                }
            )
            purchase.button_confirm()
            placed = purchase._odm_federation_place()
            # A retry (say, after a timeout) gets the same order, not a second one.
            self.assertEqual(purchase._odm_federation_place()["order_ref"], placed["order_ref"])
            self.assertEqual(purchase.odm_remote_ref, placed["order_ref"])
            purchase_id, remote_ref = purchase.id, placed["order_ref"]

        # ---- B made a sales order and its MO; it produces and ships
        with _env(self.db_b) as env_b:
            orders = env_b["sale.order"].search([("odm_network_po_ref", "!=", False)])
            self.assertEqual(orders.mapped("name"), [remote_ref])
            self.assertEqual(orders.state, "sale")
            mo = orders.order_line._odm_productions()
            self.assertEqual(mo.product_qty, QUANTITY)
            mo.action_start()
            mo.qty_producing = QUANTITY
            mo.move_raw_ids.picked = True
            mo.with_context(skip_consumption=True, skip_backorder=True).button_mark_done()
            self.assertEqual(mo.state, "done")
        with _env(self.db_b) as env_b:
            order = env_b["sale.order"].search([("name", "=", remote_ref)])
            delivery = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
            delivery.action_assign()
            delivery.move_ids.quantity = QUANTITY
            delivery.move_ids.picked = True
            delivery.with_context(skip_backorder=True, skip_sms=True).button_validate()
            self.assertEqual(delivery.state, "done")
            tracking = delivery.name

        # ---- B's callbacks reach A's purchase order (queue_job in B's server)
        deadline = time.monotonic() + CALLBACK_TIMEOUT_S
        while True:
            with _env(self.db_b) as env_b:
                jobs = env_b["queue.job"].search([("method_name", "=", "_odm_send_network_status")])
                states = sorted(jobs.mapped("state"))
                failures = [job.exc_info for job in jobs if job.state == "failed"]
            if states == ["done"] * 3 or time.monotonic() > deadline:
                break
            time.sleep(1)
        self.assertEqual(states, ["done"] * 3, f"B's status callbacks: {failures}")
        with _env(self.db_a) as env_a:
            purchase = env_a["purchase.order"].browse(purchase_id)
            self.assertEqual(purchase.odm_remote_state, "shipped")
            self.assertEqual(purchase.odm_tracking_ref, tracking)
            chatter = " ".join(purchase.message_ids.mapped("body"))
            for label in ("Accepted", "In production", "Shipped"):
                self.assertIn(label, chatter)
            status = purchase.partner_id.odm_federation_peer_id._odm_call(
                "order_status", remote_ref
            )
            self.assertEqual(status["state"], "shipped")
            # ---- A receives the parts
            receipt = purchase.picking_ids
            receipt.move_ids.quantity = QUANTITY
            receipt.move_ids.picked = True
            receipt.with_context(skip_backorder=True).button_validate()
            self.assertEqual(receipt.state, "done")
            self.assertEqual(purchase.order_line.qty_received, QUANTITY)

    def test_refused_request_cannot_be_replayed(self):
        """The nonce of a signed request refused with 422 stays used: the same bytes and
        headers sent again are refused as a replay, and neither wrote an order or a part."""
        with _env(self.db_b) as env_b:
            client = env_b["res.partner"].create({"name": "Replaying Shop", "is_company": True})
            _peer, api_key = connect_peer(
                env_b, client, "replaying-shop", SECRET, base_url=self.base_url
            )
        path = f"{API_PREFIX}/orders"
        body = b'{"po_ref": "PO-REPLAY", "lines": []}'
        headers = {
            **signing.sign(SECRET, "POST", path, body, key_id="replaying-shop"),
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            signing.IDEMPOTENCY_HEADER: "replay-key-0000000001",
        }
        counted = ("sale.order", "odm.part", "ir.attachment")
        with _env(self.db_b) as env_b:
            before = {model: env_b[model].sudo().search_count([]) for model in counted}
        with _bound_session(self.base_url, self.db_b) as http:
            refused = http.post(self.base_url + path, data=body, headers=headers, timeout=60)
            replayed = http.post(self.base_url + path, data=body, headers=headers, timeout=60)
        self.assertEqual(refused.status_code, 422, refused.text)
        self.assertEqual(refused.json()["error"]["code"], "bad_payload")
        self.assertEqual(replayed.status_code, 401, replayed.text)
        self.assertEqual(replayed.json()["error"]["code"], "replayed_nonce")
        with _env(self.db_b) as env_b:
            nonce = headers[signing.NONCE_HEADER]
            self.assertEqual(
                env_b["odm.federation.nonce"].search_count(
                    [("key_id", "=", "replaying-shop"), ("nonce", "=", nonce)]
                ),
                1,
            )
            after = {model: env_b[model].sudo().search_count([]) for model in counted}
        self.assertEqual(after, before)

    def test_callback_retried_after_a_serialization_failure_is_not_a_replay(self):
        """Two callbacks of one purchase order at once: the "shipped" one fails on a concurrent
        update and Odoo's HTTP layer serves it again. Its own retry passes the replay guard and
        writes it once; the same bytes sent by anyone, while it runs or after, are refused."""
        with _env(self.db_a) as env_a:
            shop = env_a["res.partner"].create({"name": "Retrying Shop", "is_company": True})
            _peer, api_key = connect_peer(
                env_a, shop, "retrying-shop", SECRET, base_url=self.base_url
            )
            purchase = env_a["purchase.order"].create(
                {
                    "partner_id": shop.id,
                    "order_line": [
                        odoo.Command.create(
                            {"product_id": env_a.ref("odm_quote.product_custom_part").id}
                        )
                    ],
                }
            )
            purchase_id, po_ref = purchase.id, purchase.name
        path = f"{API_PREFIX}/status"
        body = f'{{"po_ref": "{po_ref}", "state": "shipped"}}'.encode()
        headers = {
            **signing.sign(SECRET, "POST", path, body, key_id="retrying-shop"),
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
        }

        def post(http):
            return http.post(self.base_url + path, data=body, headers=headers, timeout=120)

        with (
            _bound_session(self.base_url, self.db_a) as sender,
            _bound_session(self.base_url, self.db_a) as replayer,
            ThreadPoolExecutor(max_workers=1) as pool,
            closing(odoo.sql_db.db_connect(self.db_a).cursor()) as other_callback,
        ):
            # The "accepted" callback updates the order first and has not committed yet.
            other_callback.execute(
                "UPDATE purchase_order SET odm_remote_state = 'accepted' WHERE id = %s",
                (purchase_id,),
            )
            other_callback.execute("SELECT pg_backend_pid()")
            sent = pool.submit(post, sender)
            _wait_until_blocked_by(self.db_a, other_callback.fetchone()[0])
            replayed_meanwhile = post(replayer)
            # Its commit makes the waiting update fail (could not serialize access due to
            # concurrent update): the server rolls the attempt back and serves it again.
            other_callback.commit()
            delivered = sent.result(timeout=120)
            replayed_after = post(replayer)
        self.assertEqual(delivered.status_code, 200, delivered.text)
        self.assertEqual(delivered.json()["state"], "shipped")
        for replay in (replayed_meanwhile, replayed_after):
            self.assertEqual(replay.status_code, 401, replay.text)
            self.assertEqual(replay.json()["error"]["code"], "replayed_nonce")
        with _env(self.db_a) as env_a:
            purchase = env_a["purchase.order"].browse(purchase_id)
            self.assertEqual(purchase.odm_remote_state, "shipped")
            shipped = [body for body in purchase.message_ids.mapped("body") if "Shipped" in body]
            self.assertEqual(len(shipped), 1, "the failed attempt left nothing, the retry ran once")

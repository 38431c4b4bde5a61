"""The HTTP flows of the product against Odoo's multi-process server, as production runs it.

Each flow goes through real HTTP to worker processes and checks what was committed through
another session (the administrator's JSON-RPC), so a flow that only worked in the threaded test
server's shared cursor fails here. The last test kills an HTTP worker.
"""

import base64
import os
import signal
import time

import requests
import trimesh

from odm_engine.network import signing
from odm_engine.network.federation_client import API_PREFIX, FederationClient
from tests.prefork.http_client import PortalCustomer, line_ids

QUEUE_JOB_WAIT_S = 120


def box_stl(*extents):
    return trimesh.creation.box(extents=extents).export(file_type="stl")


def test_portal_customer_uploads_reprices_and_requests_a_quotation(prefork):
    facts = prefork.facts
    customer = PortalCustomer(prefork.url, facts["portal_users"][0])
    customer.sign_in()
    uploaded = customer.upload(
        "bracket.stl", box_stl(40, 30, 20), {"process_id": facts["fdm_process_id"], "quantity": 10}
    )
    assert uploaded.status_code == 200, uploaded.text[:500]
    assert "1 part priced and added to your cart: bracket.stl" in uploaded.text
    (line_id,) = line_ids(uploaded.text)
    (line,) = prefork.admin.call(
        "sale.order.line", "read", [line_id], ["price_unit", "product_uom_qty", "order_id"]
    )
    assert line["price_unit"] > 0
    assert f"{line['price_unit']:,.2f}" in uploaded.text, "the price is on the page"

    repriced = customer.reprice(
        line_id,
        {"process_id": facts["fdm_process_id"], "quantity": 50},
        uploaded.text,
    )
    assert repriced.status_code == 200
    assert "re-priced" in repriced.text
    (repriced_line,) = prefork.admin.call("sale.order.line", "read", [line_id], ["product_uom_qty"])
    assert repriced_line["product_uom_qty"] == 50

    requested = customer.request_quotation(repriced.text)
    assert requested.status_code == 200, requested.text[:500]
    assert "/my/orders/" in requested.url
    (order,) = prefork.admin.call(
        "sale.order", "read", [line["order_id"][0]], ["state", "odm_portal_cart"]
    )
    assert (order["state"], order["odm_portal_cart"]) == ("sent", False)
    customer.close()


def test_quote_api_prices_with_an_api_key_and_refuses_without(prefork):
    url = f"{prefork.url}/odm/api/v1/quote"
    files = {"file": ("spacer.stl", box_stl(20, 20, 8))}
    form = {"process": "FDM", "quantity": "5"}
    answer = requests.post(
        url,
        headers={"Authorization": f"Bearer {prefork.facts['admin_api_key']}"},
        files=files,
        data=form,
        timeout=120,
    )
    assert answer.status_code == 200, answer.text[:500]
    quote = answer.json()
    assert quote["unit_price"] > 0 and quote["quote_id"]
    (stored,) = prefork.admin.call("odm.part.quote", "read", [quote["quote_id"]], ["part_id"])
    assert stored["part_id"][0] == quote["part_id"], "the quote was committed"

    refused = requests.post(
        url, headers={"Authorization": "Bearer not-a-key"}, files=files, data=form, timeout=120
    )
    assert refused.status_code == 401


def test_federation_rfq_signed_by_a_partner_shop(prefork):
    peer = prefork.facts["peer"]
    client = FederationClient(
        prefork.url, peer["key_id"], peer["secret"], peer["api_key"], timeout_s=120
    )
    payload = {
        "reference": "prefork-rfq",
        "process": "FDM",
        "material": "PLA",
        "quantity": 4,
        "part": {
            "filename": "bracket.stl",
            "file_base64": base64.b64encode(box_stl(30, 20, 10)).decode(),
        },
    }
    answer = client.request_quote(payload)
    client.close()
    assert answer["reference"] == "prefork-rfq"
    assert answer["unit_price"] > 0 and answer["quote_id"]

    body = b'{"reference": "forged"}'
    path = f"{API_PREFIX}/rfq"
    headers = signing.sign("not-the-secret", "POST", path, body, key_id=peer["key_id"])
    forged = requests.post(
        prefork.url + path,
        data=body,
        headers={**headers, "Authorization": f"Bearer {peer['api_key']}"},
        timeout=120,
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "bad_signature"


def test_dispatch_runs_through_queue_job_runner_and_shows_on_the_board(prefork):
    admin, machine_id = prefork.admin, prefork.facts["machine_id"]
    # Shop Floor > Dispatch Now: the server action calling odm.machine's action_dispatch_now.
    action = admin.run_server_action("odm_machine_link.odm_machine_action_dispatch_now")
    assert action["params"]["message"].startswith("1 job(s) dispatched"), action
    (job,) = admin.call(
        "odm.machine.job",
        "search_read",
        [("workorder_ids", "in", [prefork.facts["workorder_id"]])],
        ["name"],
    )

    # The send is a queue job: only queue_job's runner (a worker of the prefork master)
    # makes a worker run it, which slices the part and starts it on the printer.
    deadline = time.monotonic() + QUEUE_JOB_WAIT_S
    while True:
        queued = admin.call(
            "queue.job",
            "search_read",
            [("model_name", "=", "odm.machine.job"), ("method_name", "=", "_send")],
            ["state", "exc_info", "func_string", "worker_pid"],
        )
        queued = [q for q in queued if f"odm.machine.job({job['id']},)" in q["func_string"]]
        assert queued, "dispatching queued the send"
        if queued[0]["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert queued[0]["state"] == "done", queued[0]
    assert queued[0]["worker_pid"] in prefork.server.worker_pids("WorkerHTTP")
    (sent,) = admin.call("odm.machine.job", "read", [job["id"]], ["file_name", "state"])
    assert sent["state"] == "running", sent
    assert prefork.printer.job.starts == [sent["file_name"]], "started once, on the printer"

    # The board's kanban reads the machines as the web client does.
    board = admin.call(
        "odm.machine",
        "web_search_read",
        [("link_kind", "!=", "none")],
        {
            "name": {},
            "link_state": {},
            "current_job_id": {"fields": {"display_name": {}}},
            "job_progress": {},
        },
    )
    (card,) = [record for record in board["records"] if record["id"] == machine_id]
    assert card["current_job_id"]["id"] == job["id"]
    assert card["link_state"] == "busy", card


def test_killed_worker_is_replaced_and_requests_keep_succeeding(prefork):
    server = prefork.server
    before = server.wait_for_workers("WorkerHTTP", 2)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    for _attempt in range(10):
        answer = requests.get(f"{prefork.url}/web/login", timeout=60)
        assert answer.status_code == 200
    quote = requests.post(
        f"{prefork.url}/odm/api/v1/quote",
        headers={"Authorization": f"Bearer {prefork.facts['admin_api_key']}"},
        files={"file": ("after-kill.stl", box_stl(12, 12, 12))},
        data={"process": "FDM"},
        timeout=120,
    )
    assert quote.status_code == 200, quote.text[:500]
    after = server.wait_for_workers("WorkerHTTP", 2, without=[victim])
    assert victim not in after and before - {victim} <= after
    assert server.process.poll() is None, "the master survived"
    assert server.worker_pids("WorkerJobRunner"), "queue_job's runner survived"

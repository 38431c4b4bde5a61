"""Shared set-up of the machine link tests: ready work orders made the way production makes
them (a confirmed order of a sample part, its material in stock, its preparation done)."""

import os
import shutil
from urllib.parse import urlsplit

from odoo import Command
from odoo.tests import TransactionCase, common

from tests.peers import octoprint

PART = "demo/parts/spacer_tube.stl"
# The virtual printer runs G-code this many times faster than its default pace.
VIRTUAL_PRINTER_SPEED = 200


def ready_workorder(env, material="odm_quote.material_pla", quantity=1, path=PART):
    """The machine step of a new manufacturing order of ``path``, ready to run."""
    order = env["sale.order"].load_demo_production_order(
        env.ref("base.res_partner_12").id, [(path, "odm_quote.process_fdm", material, quantity)]
    )
    production = env["mrp.production"].search([("sale_line_id", "in", order.order_line.ids)])
    return ready_step(production)


def box_stl(x_mm, y_mm, z_mm):
    """An ASCII STL of a box: a part the virtual printer prints in seconds."""
    corners = [(x * x_mm, y * y_mm, z * z_mm) for x in (0, 1) for y in (0, 1) for z in (0, 1)]
    faces = [
        (0, 2, 3), (0, 3, 1), (4, 5, 7), (4, 7, 6), (0, 1, 5), (0, 5, 4),
        (2, 6, 7), (2, 7, 3), (0, 4, 6), (0, 6, 2), (1, 3, 7), (1, 7, 5),
    ]  # fmt: skip
    lines = ["solid box"]
    for face in faces:
        lines += ["facet normal 0 0 0", "outer loop"]
        lines += [f"vertex {x} {y} {z}" for x, y, z in (corners[i] for i in face)]
        lines += ["endloop", "endfacet"]
    return ("\n".join([*lines, "endsolid box"]) + "\n").encode()


def ready_box_workorder(env, size_mm=(12, 12, 1.2), material="odm_quote.material_pla", quantity=1):
    """The machine step of an order of ``quantity`` small boxes, ready to run."""
    order = env["sale.order"].create({"partner_id": env.ref("base.res_partner_12").id})
    order._odm_add_uploads(
        [("box.stl", box_stl(*size_mm))],
        env.ref("odm_quote.process_fdm"),
        quantity,
        material=env.ref(material),
    )
    order.action_confirm()
    production = env["mrp.production"].search([("sale_line_id", "in", order.order_line.ids)])
    return ready_step(production)


def ready_step(production):
    """Stocks the order's components, finishes the steps before the machine one, returns it."""
    env = production.env
    for move in production.move_raw_ids:
        env["stock.quant"]._update_available_quantity(
            move.product_id, production.location_src_id, move.product_uom_qty * 2
        )
    step = production._odm_prepare_machine_step()
    assert step.state == "ready", f"machine step is {step.state}"
    return step


def fdm_machine(env, name, **values):
    """A linked FDM printer loaded with PLA, the only one dispatch can pick."""
    return env["odm.machine"].create(
        {
            "name": name,
            "code": name.upper().replace(" ", "-"),
            "process_id": env.ref("odm_quote.process_fdm").id,
            "material_ids": [
                Command.link(env.ref("odm_quote.material_pla").id),
                Command.link(env.ref("odm_quote.material_petg").id),
            ],
            "loaded_material_id": env.ref("odm_quote.material_pla").id,
            "build_x_mm": 250,
            "build_y_mm": 210,
            "build_z_mm": 220,
            "slicer_printer": "MK4",
            "link_kind": "manual",
            **values,
        }
    )


def gcode_objects(content):
    """The objects PrusaSlicer labels in a G-code (``; printing object NAME id:N copy M``)."""
    return {
        line.split(b" id:")[0].removeprefix(b"; printing object ")
        for line in content.splitlines()
        if line.startswith(b"; printing object ")
    }


def gram_quantity(move):
    return move.product_uom._compute_quantity(move.quantity, move.env.ref("uom.product_uom_gram"))


def isolate_from_demo_machines(env):
    """Unlinks the demo's machines and cancels the demo's ready print, so that a test's own
    machines and work orders are the only candidates for dispatch."""
    env["odm.machine"].search([("link_kind", "!=", "none")]).write({"link_kind": "none"})
    env["mrp.workorder"].search(
        [("state", "=", "ready"), ("operation_id.odm_duration_mode", "=", "machine")]
    ).production_id.action_cancel()


class LoopbackPeersMixin:
    """Requests to the loopback peers keep the connectors' own timeouts (Odoo's tests raise
    every timeout to 10 s, and timeouts are what some of these tests are about)."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        if urlsplit(r.url).hostname == "127.0.0.1":
            return common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)


def virtual_printer(test_class):
    """Starts OctoPrint's Virtual Printer for ``test_class`` (skipping the class, with the
    reason, when prusa-slicer or OctoPrint is missing) and returns the FDM machine linked to it."""
    if not shutil.which("prusa-slicer"):
        test_class.skipTest(test_class, "prusa-slicer is not on PATH (./odm setup installs it)")
    if not octoprint.EXECUTABLE.exists() and not os.environ.get("CI"):
        test_class.skipTest(
            test_class, f"OctoPrint {octoprint.VERSION} is not installed: run ./odm setup"
        )
    base_url, api_key = test_class.enterClassContext(
        octoprint.octoprint_server(speed=VIRTUAL_PRINTER_SPEED)
    )
    host, port = base_url.removeprefix("http://").split(":")
    return fdm_machine(
        test_class.env,
        "Virtual Printer",
        link_kind="octoprint",
        link_host=host,
        link_port=int(port),
        link_api_key=api_key,
    )


class MachineLinkCase(LoopbackPeersMixin, TransactionCase):
    """Each test's own machines and work orders are the only candidates for dispatch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        isolate_from_demo_machines(cls.env)

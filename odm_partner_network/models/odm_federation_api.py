import base64
import binascii
from collections import defaultdict

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.odm_quote.models.odm_request_options import OdmRequestError

from odm_engine.service import json_ready

MAX_LINES = 50
QUOTE_KEYS = (
    "process",
    "material",
    "finish",
    "quantity",
    "currency",
    "lead_time",
    "lead_time_days",
    "unit_price",
    "total_price",
    "dfm",
    "lead_time_options",
)
"""What a partner learns of a quote: the public figures, never the frozen cost parameters."""


class FederationError(Exception):
    """A refused request: HTTP ``status``, a stable ``code``, a message for the caller and the
    payload ``field`` it is about, if one."""

    def __init__(self, status, code, message, field=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class OdmFederationApi(models.AbstractModel):
    """What a partner shop does through the federation API, run as the peer's own user.

    The controller calls these methods in an environment of the peer's portal user, so Odoo's
    record rules decide what it reaches: its own orders, parts and purchase orders, no cost
    table. Where a partner legitimately does more than a portal user may (create its order,
    price with our rates, read the planning's totals), one operation is run as superuser and
    says why. ``peer`` is the calling odm.federation.peer (read as superuser: its user may not
    open it).
    """

    _name = "odm.federation.api"
    _description = "Federation API"

    # ------------------------------------------------------------------ capacity
    @api.model
    def _odm_capacity(self):
        """Free machine-hours per process and day from the last planning (odm_mrp's load)."""
        # Portal users read no work center, machine or load: the partner gets per-process
        # sums of our own company's planning, nothing of the records themselves.
        company = self.env.company
        loads = (
            self.env["odm.workcenter.load"]
            .sudo()
            .search(
                [
                    ("date", ">=", fields.Date.context_today(self)),
                    ("workcenter_id.company_id", "in", (company.id, False)),
                ],
                order="date",
            )
        )
        machines = (
            self.env["odm.machine"]
            .sudo()
            .search([("workcenter_id", "in", loads.workcenter_id.ids)])
        )
        process_of = {machine.workcenter_id: machine.process_id for machine in machines}
        free = defaultdict(lambda: defaultdict(float))
        for load in loads:
            process = process_of.get(load.workcenter_id)
            if process:
                free[process][load.date] += max(load.capacity_hours - load.load_hours, 0.0)
        processes = []
        for process, days in sorted(free.items(), key=lambda item: item[0].code):
            open_days = [day for day, hours in days.items() if hours > 0]
            processes.append(
                {
                    "process": process.code,
                    "name": process.name,
                    "free_hours_per_day": round(sum(days.values()) / len(days), 2),
                    "next_free_date": min(open_days).isoformat() if open_days else None,
                    "days": [
                        {"date": day.isoformat(), "free_hours": round(hours, 2)}
                        for day, hours in sorted(days.items())
                    ],
                }
            )
        return {"processes": processes}

    # ------------------------------------------------------------------ quotes
    @api.model
    def _odm_quote(self, peer, payload):
        """The price of a part with our own quoting engine: from its file (the part is kept
        for the client, the quote frozen and named) or from its measurements only."""
        options = self._odm_options(payload)
        part_data = required_field(payload, "part", dict)
        if "metrics" in part_data:
            metrics = required_field(part_data, "metrics", dict)
            part = self.env["odm.part"].new(
                {
                    "name": str(part_data.get("name") or payload.get("reference") or "part"),
                    "analysis": metrics,
                    "company_id": self.env.company.id,
                }
            )
        else:
            part = self._odm_part_from_file(peer, part_data)
        # Pricing reads our cost tables (machine rates, margins, quantity breaks) and freezes
        # them with the quote, all closed to portal users: the partner gets QUOTE_KEYS only.
        pricing = self.env["odm.pricing"].sudo()
        try:
            result, parameters = pricing.quote(
                part.sudo(),
                options.process,
                options.material,
                options.quantity,
                finish=options.finish,
            )
        except UserError as error:
            code = "refused" if part.id else "bad_metrics"
            raise FederationError(422, code, error.args[0]) from error
        except (KeyError, TypeError, ValueError) as error:
            raise FederationError(
                422, "bad_metrics", f"part.metrics cannot be priced: missing or wrong {error}"
            ) from error
        quote_id = None
        if part.id:
            known = {
                "process_id": options.process,
                "material_id": options.material,
                "finish_id": options.finish,
            }
            quote_id = pricing.freeze(part.sudo(), result, parameters, known=known).id
        report = json_ready(result.to_dict())
        answer = {key: report.get(key) for key in QUOTE_KEYS}
        answer.update(reference=payload.get("reference"), quote_id=quote_id, fatal=result.fatal)
        return answer

    # ------------------------------------------------------------------ orders
    @api.model
    def _odm_place_order(self, peer, key, body_sha256, payload):
        """A confirmed sales order (and through odm_mrp its manufacturing orders) for the
        client, once per idempotency key: returns (answer, HTTP status, replayed); a repeated
        key gets the first answer, the same key with another body is a conflict."""
        # The idempotency table is ours (portal users have no access); only this peer's keys.
        Idempotency = self.env["odm.federation.idempotency"].sudo()
        previous = Idempotency.search([("peer_id", "=", peer.id), ("key", "=", key)])
        if previous:
            if previous.body_sha256 != body_sha256:
                raise FederationError(
                    409, "idempotency_conflict", f"{key} was already used for another order."
                )
            return previous.response, previous.status_code, True
        po_ref = required_field(payload, "po_ref", str)
        lines = required_field(payload, "lines", list)
        if not 1 <= len(lines) <= MAX_LINES:
            raise FederationError(422, "bad_payload", f"lines: 1 to {MAX_LINES} lines.", "lines")
        # Every line's options are checked before anything is written.
        line_options = []
        for index, line in enumerate(lines):
            if not isinstance(line, dict):
                raise FederationError(
                    422, "bad_payload", f"lines[{index}] is not an object.", f"lines[{index}]"
                )
            try:
                line_options.append(self._odm_options(line))
            except OdmRequestError as error:
                raise error.at(f"lines[{index}]") from error
        order = self._odm_create_order(peer, po_ref, lines, line_options)
        # Read back as the partner: the portal rule (it follows its confirmed order) lets it.
        answer = self._odm_order_answer(order.with_env(self.env))
        try:
            with self.env.cr.savepoint():
                Idempotency.create(
                    {
                        "peer_id": peer.id,
                        "key": key,
                        "body_sha256": body_sha256,
                        "status_code": 201,
                        "response": answer,
                        "sale_order_id": order.id,
                    }
                )
        except psycopg2.IntegrityError as error:
            raise FederationError(
                409, "idempotency_conflict", f"{key} is being used by a concurrent request."
            ) from error
        return answer, 201, False

    def _odm_create_order(self, peer, po_ref, lines, line_options):
        """The confirmed sales order of the lines (checked options): UserError is 422."""
        # Portal users may not create sales orders: the order is made as superuser, for the
        # peer's partner and flagged with the peer, exactly as the partner's payload says.
        order = (
            self.env["sale.order"]
            .sudo()
            .create(
                {
                    "partner_id": peer.partner_id.id,
                    "client_order_ref": po_ref,
                    "user_id": False,
                    "odm_network_client_id": peer.id,
                    "odm_network_po_ref": po_ref,
                }
            )
        )
        budget = self.env["odm.part"]._request_budget()
        try:
            for line, options in zip(lines, line_options, strict=True):
                part = self._odm_part_from_file(peer, required_field(line, "part", dict), budget)
                sale_line = order._odm_add_part_lines(
                    part.sudo(),
                    options.process,
                    options.quantity,
                    material=options.material,
                    finish=options.finish,
                )
                self._odm_apply_specification(sale_line, line)
            order.action_confirm()
        except UserError as error:
            raise FederationError(422, "refused", error.args[0]) from error
        return order

    @api.model
    def _odm_order(self, peer, ref):
        """One of the partner's orders placed over the API; any other reference is 404, the
        same answer whether the order does not exist or is not the partner's."""
        order = self.env["sale.order"].search(
            [("name", "=", ref), ("odm_network_client_id", "=", peer.id)], limit=1
        )
        if not order:
            raise FederationError(404, "not_found", f"No order {ref} of yours.")
        return self._odm_order_answer(order)

    @api.model
    def _odm_order_answer(self, order):
        """What the client sees of one of its orders (``order`` read as the partner)."""
        lines = order.order_line.filtered("odm_part_id")
        # Portal users read no manufacturing order and not every delivery: the partner gets
        # the references and states of this one order's, nothing else of them.
        own = order.sudo()
        productions = own.order_line._odm_productions()
        deliveries = own.picking_ids.filtered(
            lambda picking: picking.picking_type_code == "outgoing"
        )
        return {
            "order_ref": order.name,
            "po_ref": order.odm_network_po_ref,
            "state": order.odm_network_state or "received",
            "currency": order.currency_id.name,
            "amount_untaxed": order.amount_untaxed,
            "lines": [
                {
                    "reference": line.odm_part_id.name,
                    "quantity": line.product_uom_qty,
                    "unit_price": line.price_unit,
                }
                for line in lines
            ],
            "productions": [
                {"ref": production.name, "state": production.state} for production in productions
            ],
            "deliveries": [{"ref": picking.name, "state": picking.state} for picking in deliveries],
        }

    # ------------------------------------------------------------------ callbacks
    @api.model
    def _odm_status(self, peer, po_ref, state, **optional):
        """A partner we ordered from says how our purchase order progresses."""
        # Found under the portal rule on purchase orders (the partner's own); a status comes
        # from the order's vendor, not from a shop that merely follows it.
        commercial = peer.partner_id.commercial_partner_id
        purchase = self.env["purchase.order"].search(
            [("name", "=", po_ref), ("partner_id", "child_of", commercial.id)], limit=1
        )
        if not purchase:
            raise FederationError(404, "not_found", f"No purchase order {po_ref} with you.")
        if optional["order_ref"] and purchase.odm_remote_ref not in (False, optional["order_ref"]):
            raise FederationError(
                422, "bad_payload", f"{po_ref} is your order {purchase.odm_remote_ref}."
            )
        # Portal users read their purchase orders but may not write them: the callback writes
        # this one order's remote state, reference and tracking, and says so in its chatter.
        purchase.sudo()._odm_federation_status(state, **optional)
        return {"po_ref": purchase.name, "state": purchase.odm_remote_state}

    # ------------------------------------------------------------------ payload pieces
    @api.model
    def _odm_options(self, payload):
        """Process, material, finish (codes) and quantity of a quote or a line, resolved by
        odm.request.options for our company; OdmRequestError names the refused one."""
        if payload.get("quantity") is None:
            raise FederationError(422, "bad_payload", "quantity is required.", "quantity")
        values = {name: payload.get(name) for name in ("process", "material", "finish", "quantity")}
        return self.env["odm.request.options"].resolve(values, company=self.env.company)

    @api.model
    def _odm_apply_specification(self, sale_line, line):
        """A line's optional ``specification`` and ``drawing`` (base64 PDF) on its sale line:
        priced, and reviewed before confirmation as the customer's own would be."""
        if line.get("specification") is None and not line.get("drawing"):
            return
        specs = self.env["odm.part.specification"].sudo()
        drawing = line.get("drawing") or {}
        data = b""
        if drawing:
            if not isinstance(drawing, dict):
                raise FederationError(422, "bad_payload", "drawing must be an object.", "drawing")
            try:
                data = base64.b64decode(required_field(drawing, "file_base64", str), validate=True)
            except binascii.Error as error:
                raise FederationError(
                    422, "bad_payload", "drawing.file_base64 is not base64.", "drawing"
                ) from error
        spec = specs._odm_from_api(line.get("specification") or {}, data)
        values = specs._odm_values_from_engine(spec)
        if data:
            values.update(drawing=data, drawing_name=str(drawing.get("filename") or "drawing.pdf"))
        specs._odm_set_for_line(sale_line, values)

    @api.model
    def _odm_part_from_file(self, peer, part_data, budget=None):
        """The client's part made of the file sent (analysed here, kept in its parts library),
        read as the partner; ``budget``: the request's, when it sends several files."""
        filename = required_field(part_data, "filename", str)
        unit = part_data.get("unit") or "auto"
        if unit not in ("auto", "mm", "inch"):
            raise FederationError(422, "bad_payload", "part.unit must be auto, mm or inch.")
        try:
            data = base64.b64decode(required_field(part_data, "file_base64", str), validate=True)
        except binascii.Error as error:
            raise FederationError(422, "bad_payload", "part.file_base64 is not base64.") from error
        # Portal users only read parts: ours to create, in the partner's own library.
        parts = self.env["odm.part"].sudo()
        try:
            part = parts.from_upload(
                data,
                filename,
                unit=unit,
                partner=peer.partner_id.commercial_partner_id,
                budget=budget,
            )
        except UserError as error:
            raise FederationError(422, "refused", error.args[0]) from error
        return part.with_env(self.env)


def required_field(payload, name, kind):
    """``payload[name]``, a non-empty ``kind``; else a 422 naming the field."""
    value = payload.get(name)
    if not isinstance(value, kind) or not value:
        raise FederationError(
            422,
            "bad_payload",
            f"{name} is required and must be a non-empty {kind.__name__}.",
            name,
        )
    return value

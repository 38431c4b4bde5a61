"""The federation API other shops of the network call: capacity, quotes, orders, status.

    GET  /odm/federation/v1/capacity        free machine-hours per process and day
    POST /odm/federation/v1/rfq             price and lead time of a part (metrics or file)
    POST /odm/federation/v1/orders          place an order (Idempotency-Key): SO + MO here
    GET  /odm/federation/v1/orders/<ref>    one of the caller's orders; any other ref is 404
    POST /odm/federation/v1/status          status callback on one of our purchase orders

Every request carries the caller's Odoo API key (``Authorization: Bearer``) and an HMAC
signature (engine/signing.py) with the key id of the same peer; docs/network-api-v1.yaml
describes the payloads. Errors are the quote API's ``{"api_version": "1", "error": {"code",
"field", "message"}}`` with 401 (key or signature), 404, 409 (idempotency conflict), 413 (too
large) or 422 (payload, options: odm.request.options). A refused request changes nothing: its
transaction is rolled back.
"""

import base64
import binascii
import hashlib
import json
import re
import time
from collections import defaultdict
from typing import Any, NamedTuple

import psycopg2

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.http import request

from odoo.addons.odm_quote.controllers.api import error_response
from odoo.addons.odm_quote.models.odm_request_options import OdmRequestError

from odm_engine.network import signing
from odm_engine.network.federation_client import API_PREFIX, ORDER_STATES
from odm_engine.service import json_ready

from ..models.odm_federation_peer import API_KEY_SCOPE

MAX_BODY_PARAM = "odm_partner_network.federation_max_body_bytes"
DEFAULT_MAX_BODY_BYTES = 32 * 2**20
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
ROUTES = (
    ("GET", "/capacity"),
    ("POST", "/rfq"),
    ("POST", "/orders"),
    ("GET", "/orders/{ref}"),
    ("POST", "/status"),
)
"""Every route of the API (the OpenAPI file's test checks each is described)."""


class Call(NamedTuple):
    """An authenticated request: the calling peer (superuser, as its user), the raw body and
    the JSON object it holds (None for GET)."""

    peer: Any
    body: bytes
    payload: dict | None


class FederationError(Exception):
    """A refused request: HTTP ``status``, a stable ``code``, a message for the caller and the
    payload ``field`` it is about, if one."""

    def __init__(self, status, code, message, field=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def _route(path, method):
    return http.route(
        API_PREFIX + path,
        type="http",
        auth="public",
        methods=[method],
        csrf=False,
        save_session=False,
    )


class FederationApi(http.Controller):
    @_route("/capacity", "GET")
    def federation_capacity(self):
        return self._serve(self._capacity)

    @_route("/rfq", "POST")
    def federation_rfq(self):
        return self._serve(self._rfq)

    @_route("/orders", "POST")
    def federation_orders(self):
        return self._serve(self._place_order)

    @_route("/orders/<string:ref>", "GET")
    def federation_order(self, ref):
        return self._serve(self._order_status, ref)

    @_route("/status", "POST")
    def federation_status(self):
        return self._serve(self._status)

    # ------------------------------------------------------------------ plumbing
    def _serve(self, handler, *args):
        """Authenticates, runs the handler, answers JSON; any refusal rolls everything back."""
        try:
            peer, body = self._authenticate()
            payload = _json_object(body) if request.httprequest.method == "POST" else None
            answer, status, headers = handler(Call(peer, body, payload), *args)
        except FederationError as error:
            request.env.cr.rollback()
            return error_response(
                error.status, error.code, error.message, error.field, signing.API_VERSION
            )
        except OdmRequestError as error:
            request.env.cr.rollback()
            return error_response(422, **error.to_dict(), api_version=signing.API_VERSION)
        return request.make_json_response(
            {"api_version": signing.API_VERSION, **answer}, status=status, headers=headers
        )

    def _authenticate(self):
        """The peer calling (its API key and its signature agree), and the raw body."""
        env = request.env
        limit = int(
            env["ir.config_parameter"].sudo().get_param(MAX_BODY_PARAM, DEFAULT_MAX_BODY_BYTES)
        )
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > limit:
            raise FederationError(
                413,
                "body_too_large",
                f"body of {httprequest.content_length:,} bytes, the limit is {limit:,}",
            )
        body = httprequest.get_data(cache=True)
        token = re.match(r"(?i)bearer\s+(\S+)$", httprequest.headers.get("Authorization", ""))
        if not token:
            raise FederationError(401, "missing_api_key", "Send Authorization: Bearer <API key>.")
        uid = env["res.users.apikeys"]._check_credentials(scope=API_KEY_SCOPE, key=token.group(1))
        if not uid:
            raise FederationError(401, "bad_api_key", "The API key is unknown or expired.")
        peers = env["odm.federation.peer"].sudo()
        path = httprequest.path + (
            "?" + httprequest.query_string.decode() if httprequest.query_string else ""
        )
        peer_of = {}

        def secret_of(key):
            peer_of[key] = peers.search([("key_id", "=", key)], limit=1)
            return peer_of[key].secret or None

        try:
            key_id = signing.verify(
                secret_of,
                httprequest.method,
                path,
                httprequest.headers,
                body,
                now=time.time(),
                nonce_store=env["odm.federation.nonce"].sudo()._odm_store(),
                max_body_bytes=limit,
            )
        except signing.SignatureError as error:
            status = 413 if error.code == "body_too_large" else 401
            raise FederationError(status, error.code, error.message) from error
        peer = peer_of[key_id]
        if peer.local_user_id.id != uid:
            raise FederationError(
                401, "key_mismatch", "The API key does not belong to the signing key's shop."
            )
        request.update_env(user=uid)
        return peer.with_user(uid).sudo(), body

    # ------------------------------------------------------------------ capacity
    def _capacity(self, call):
        """Free machine-hours per process and day from the last planning (odm_mrp's load)."""
        peer = call.peer
        env = peer.env
        today = fields.Date.context_today(peer)
        loads = env["odm.workcenter.load"].search([("date", ">=", today)], order="date")
        machines = env["odm.machine"].search([("workcenter_id", "in", loads.workcenter_id.ids)])
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
        return {"processes": processes}, 200, None

    # ------------------------------------------------------------------ quotes
    def _rfq(self, call):
        """The price of a part with our own quoting engine: from its file (the part is kept
        for the client, the quote frozen and named) or from its measurements only."""
        peer, payload = call.peer, call.payload
        options = _options(peer, payload)
        part_data = _required(payload, "part", dict)
        if "metrics" in part_data:
            metrics = _required(part_data, "metrics", dict)
            part = peer.env["odm.part"].new(
                {
                    "name": str(part_data.get("name") or payload.get("reference") or "part"),
                    "analysis": metrics,
                    "company_id": peer.env.company.id,
                }
            )
        else:
            part = _part_from_file(peer, part_data)
        try:
            result, parameters = peer.env["odm.pricing"].quote(
                part,
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
            quote_id = peer.env["odm.pricing"].freeze(part, result, parameters, known=known).id
        report = json_ready(result.to_dict())
        answer = {key: report.get(key) for key in QUOTE_KEYS}
        answer.update(reference=payload.get("reference"), quote_id=quote_id, fatal=result.fatal)
        return answer, 200, None

    # ------------------------------------------------------------------ orders
    def _place_order(self, call):
        """A confirmed sales order (and through odm_mrp its manufacturing orders) for the
        client, once per idempotency key: a repeated key gets the first answer."""
        peer, body, payload = call
        try:
            key = signing.check_idempotency_key(
                request.httprequest.headers.get(signing.IDEMPOTENCY_HEADER)
            )
        except ValueError as error:
            raise FederationError(422, "bad_idempotency_key", str(error)) from error
        digest = hashlib.sha256(body).hexdigest()
        Idempotency = peer.env["odm.federation.idempotency"]
        previous = Idempotency.search([("peer_id", "=", peer.id), ("key", "=", key)])
        if previous:
            if previous.body_sha256 != digest:
                raise FederationError(
                    409, "idempotency_conflict", f"{key} was already used for another order."
                )
            return previous.response, previous.status_code, {"Idempotent-Replayed": "true"}
        po_ref = _required(payload, "po_ref", str)
        lines = _required(payload, "lines", list)
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
                line_options.append(_options(peer, line))
            except OdmRequestError as error:
                raise error.at(f"lines[{index}]") from error
        order = peer.env["sale.order"].create(
            {
                "partner_id": peer.partner_id.id,
                "client_order_ref": po_ref,
                "user_id": False,
                "odm_network_client_id": peer.id,
                "odm_network_po_ref": po_ref,
            }
        )
        try:
            for line, options in zip(lines, line_options, strict=True):
                part = _part_from_file(peer, _required(line, "part", dict))
                order._odm_add_part_lines(
                    part,
                    options.process,
                    options.quantity,
                    material=options.material,
                    finish=options.finish,
                )
            order.action_confirm()
        except UserError as error:
            raise FederationError(422, "refused", error.args[0]) from error
        answer = _order_answer(order)
        try:
            with peer.env.cr.savepoint():
                Idempotency.create(
                    {
                        "peer_id": peer.id,
                        "key": key,
                        "body_sha256": digest,
                        "status_code": 201,
                        "response": answer,
                        "sale_order_id": order.id,
                    }
                )
        except psycopg2.IntegrityError as error:
            raise FederationError(
                409, "idempotency_conflict", f"{key} is being used by a concurrent request."
            ) from error
        return answer, 201, None

    def _order_status(self, call, ref):
        peer = call.peer
        order = peer.env["sale.order"].search(
            [("name", "=", ref), ("odm_network_client_id", "=", peer.id)], limit=1
        )
        if not order:
            raise FederationError(404, "not_found", f"No order {ref} of yours.")
        return _order_answer(order), 200, None

    # ------------------------------------------------------------------ callbacks
    def _status(self, call):
        """A partner we ordered from says how our order progresses."""
        peer, payload = call.peer, call.payload
        po_ref = _required(payload, "po_ref", str)
        state = _required(payload, "state", str)
        if state not in ORDER_STATES:
            raise FederationError(422, "bad_payload", f"state must be one of {ORDER_STATES}.")
        optional = {}
        for name in ("order_ref", "tracking_ref", "carrier"):
            value = payload.get(name)
            if value is not None and not isinstance(value, str):
                raise FederationError(422, "bad_payload", f"{name} must be a string or null.")
            optional[name] = value
        purchase = peer.env["purchase.order"].search(
            [
                ("name", "=", po_ref),
                ("partner_id.commercial_partner_id", "=", peer.partner_id.commercial_partner_id.id),
            ],
            limit=1,
        )
        if not purchase:
            raise FederationError(404, "not_found", f"No purchase order {po_ref} with you.")
        if optional["order_ref"] and purchase.odm_remote_ref not in (False, optional["order_ref"]):
            raise FederationError(
                422, "bad_payload", f"{po_ref} is your order {purchase.odm_remote_ref}."
            )
        purchase._odm_federation_status(state, **optional)
        return {"po_ref": purchase.name, "state": purchase.odm_remote_state}, 200, None


def _json_object(body):
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise FederationError(422, "malformed_json", f"The body is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise FederationError(422, "bad_payload", "The body must be a JSON object.")
    return payload


def _required(payload, name, kind):
    value = payload.get(name)
    if not isinstance(value, kind) or not value:
        raise FederationError(
            422,
            "bad_payload",
            f"{name} is required and must be a non-empty {kind.__name__}.",
            name,
        )
    return value


def _options(peer, payload):
    """Process, material, finish (codes) and quantity of a quote or a line, resolved by
    odm.request.options for our company; OdmRequestError names the refused one."""
    if payload.get("quantity") is None:
        raise FederationError(422, "bad_payload", "quantity is required.", "quantity")
    values = {name: payload.get(name) for name in ("process", "material", "finish", "quantity")}
    return peer.env["odm.request.options"].resolve(values, company=peer.env.company)


def _part_from_file(peer, part_data):
    """The client's part made of the file sent (analysed here, kept in its parts library)."""
    filename = _required(part_data, "filename", str)
    unit = part_data.get("unit") or "auto"
    if unit not in ("auto", "mm", "inch"):
        raise FederationError(422, "bad_payload", "part.unit must be auto, mm or inch.")
    try:
        data = base64.b64decode(_required(part_data, "file_base64", str), validate=True)
    except binascii.Error as error:
        raise FederationError(422, "bad_payload", "part.file_base64 is not base64.") from error
    try:
        return peer.env["odm.part"].from_upload(
            data, filename, unit=unit, partner=peer.partner_id.commercial_partner_id
        )
    except UserError as error:
        raise FederationError(422, "refused", error.args[0]) from error


def _order_answer(order):
    """What the client sees of one of its orders."""
    productions = order.order_line._odm_productions()
    deliveries = order.picking_ids.filtered(lambda picking: picking.picking_type_code == "outgoing")
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
            for line in order.order_line.filtered("odm_part_id")
        ],
        "productions": [
            {"ref": production.name, "state": production.state} for production in productions
        ],
        "deliveries": [{"ref": picking.name, "state": picking.state} for picking in deliveries],
    }

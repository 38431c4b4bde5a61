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
large), 422 (payload, options: odm.request.options) or 429 (over the peer's quota, Settings >
On-Demand Manufacturing > Federation throttling: Retry-After says when to call again). A
refused request changes nothing: its transaction is rolled back (its nonce alone stays used,
see odm.federation.nonce; the quota's counters, odm.request.quota, still count it). Odoo's own
retry of a request after a serialization failure is not a replay (``_request_nonce_store``).

The handlers run as the peer's portal user (odm.federation.api): record rules decide what a
partner reaches, and the few operations it needs beyond a portal user's rights are run as
superuser one by one in that model, each saying why.
"""

import hashlib
import json
import re
import time
from typing import Any, NamedTuple

from odoo import http
from odoo.http import request

from odoo.addons.odm_quote.controllers.api import error_response, quota_response
from odoo.addons.odm_quote.models.odm_request_options import OdmRequestError
from odoo.addons.odm_quote.models.odm_request_quota import QuotaExceededError

from odm_engine.network import signing
from odm_engine.network.federation_client import API_PREFIX, ORDER_STATES

from ..models.odm_federation_api import FederationError, required_field
from ..models.odm_federation_peer import API_KEY_SCOPE

MAX_BODY_PARAM = "odm_partner_network.federation_max_body_bytes"
DEFAULT_MAX_BODY_BYTES = 32 * 2**20
ROUTES = (
    ("GET", "/capacity"),
    ("POST", "/rfq"),
    ("POST", "/orders"),
    ("GET", "/orders/{ref}"),
    ("POST", "/status"),
)
"""Every route of the API (the OpenAPI file's test checks each is described)."""


class Call(NamedTuple):
    """An authenticated request: the calling peer (superuser, as its user: the user itself may
    not read it), the raw body and the JSON object it holds (None for GET)."""

    peer: Any
    body: bytes
    payload: dict | None


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
            _admit(peer, payload)
            answer, status, headers = handler(Call(peer, body, payload), *args)
        except QuotaExceededError as error:
            request.env.cr.rollback()
            return quota_response(error, signing.API_VERSION)
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
                nonce_store=_request_nonce_store(),
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

    # ------------------------------------------------------------------ handlers
    # Each parses what HTTP carries, calls one method of odm.federation.api as the peer's
    # user (request.env since _authenticate) and gives back (answer, status, headers).
    def _capacity(self, _call):
        return request.env["odm.federation.api"]._odm_capacity(), 200, None

    def _rfq(self, call):
        return request.env["odm.federation.api"]._odm_quote(call.peer, call.payload), 200, None

    def _place_order(self, call):
        try:
            key = signing.check_idempotency_key(
                request.httprequest.headers.get(signing.IDEMPOTENCY_HEADER)
            )
        except ValueError as error:
            raise FederationError(422, "bad_idempotency_key", str(error)) from error
        answer, status, replayed = request.env["odm.federation.api"]._odm_place_order(
            call.peer, key, hashlib.sha256(call.body).hexdigest(), call.payload
        )
        return answer, status, {"Idempotent-Replayed": "true"} if replayed else None

    def _order_status(self, call, ref):
        return request.env["odm.federation.api"]._odm_order(call.peer, ref), 200, None

    def _status(self, call):
        """A partner we ordered from says how our order progresses."""
        payload = call.payload
        po_ref = required_field(payload, "po_ref", str)
        state = required_field(payload, "state", str)
        if state not in ORDER_STATES:
            raise FederationError(422, "bad_payload", f"state must be one of {ORDER_STATES}.")
        optional = {}
        for name in ("order_ref", "tracking_ref", "carrier"):
            value = payload.get(name)
            if value is not None and not isinstance(value, str):
                raise FederationError(422, "bad_payload", f"{name} must be a string or null.")
            optional[name] = value
        answer = request.env["odm.federation.api"]._odm_status(call.peer, po_ref, state, **optional)
        return answer, 200, None


def _request_nonce_store():
    """The nonce store of this HTTP request, kept on Odoo's ``request`` object.

    The nonce table commits a checked nonce at once, whatever becomes of the request. Odoo
    serves a request again when its transaction hit a serialization failure or a concurrent
    update (``odoo.service.model.retrying``, called by ``Request._transactioning``), with the
    same ``request`` object and after rolling back all the attempt wrote: this store lets that
    retry pass its own nonce, so the request takes effect once. A replay of the captured bytes
    is another HTTP request, with a store of its own, and the table refuses it.
    """
    store = getattr(request, "odm_federation_nonces", None)
    if store is None:
        store = signing.RequestNonceStore(request.env["odm.federation.nonce"].sudo()._odm_store())
        request.odm_federation_nonces = store
    return store


def _admit(peer, payload):
    """Counts the call and the part files it sends (their base64 size) against the peer's
    quota, before any is decoded or analysed; QuotaExceededError over it."""
    parts = [payload.get("part")] if payload else []
    lines = payload.get("lines") if payload else None
    if isinstance(lines, list):
        parts += [line.get("part") for line in lines if isinstance(line, dict)]
    files = [
        part["file_base64"]
        for part in parts
        if isinstance(part, dict) and isinstance(part.get("file_base64"), str)
    ]
    request.env["odm.request.quota"].sudo()._odm_admit(
        "peer", peer.id, parts=len(files), stored_bytes=sum(len(file) * 3 // 4 for file in files)
    )


def _json_object(body):
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise FederationError(422, "malformed_json", f"The body is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise FederationError(422, "bad_payload", "The body must be a JSON object.")
    return payload

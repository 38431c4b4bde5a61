import math
import secrets
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_datetime

from odm_engine.network.federation_client import (
    FederationClient,
    PartnerBusy,
    PartnerRefused,
    PartnerUnavailable,
)

MANAGER = "odm_partner_network.group_odm_network_manager"
# The scope of the API keys issued to partner shops: the federation routes accept only these
# keys, and Odoo's own RPC (XML-RPC, JSON-RPC, call_kw) refuses them.
API_KEY_SCOPE = "odm_federation"


class OdmFederationPeer(models.Model):
    """Another shop of the network we talk to over the federation API, both ways.

    Outgoing calls go to ``base_url`` (and ``database`` when the partner's server has several),
    signed with ``key_id``/``secret`` and authenticated with the API key the partner issued us.
    Incoming calls must carry the same key id and an API key of ``local_user_id``, the user
    that stands for this partner here and whose records are the only ones it reaches.
    """

    _name = "odm.federation.peer"
    _description = "Federation Peer"
    _inherit = ["mail.thread"]
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True, tracking=True
    )
    active = fields.Boolean(default=True)
    base_url = fields.Char(
        "Base URL", required=True, tracking=True, help="Their Odoo, e.g. https://erp.partner.com"
    )
    database = fields.Char(help="Their database, when their server serves several.")
    key_id = fields.Char(
        "Key id", required=True, copy=False, help="Names the shared secret in signed requests."
    )
    secret = fields.Char(
        required=True,
        copy=False,
        groups=MANAGER,
        default=lambda self: secrets.token_urlsafe(32),
        help="Shared HMAC secret: both shops sign and check requests with it.",
    )
    remote_api_key = fields.Char(
        "Their API key for us", copy=False, groups=MANAGER, help="Issued by the partner's Odoo."
    )
    local_user_id = fields.Many2one(
        "res.users",
        "Their user here",
        ondelete="restrict",
        help="The user whose API key the partner calls us with; it reaches only its own orders.",
    )
    timeout_s = fields.Float("Timeout (s)", default=10.0)
    state = fields.Selection(
        [("new", "Not contacted yet"), ("online", "Answering"), ("offline", "Unreachable")],
        default="new",
        required=True,
        readonly=True,
        copy=False,
    )
    last_contact = fields.Datetime(readonly=True, copy=False)
    busy_until = fields.Datetime(
        "Throttled until",
        readonly=True,
        copy=False,
        help="The partner answered 429 (too many requests): nothing is sent to it before this "
        "time, as its Retry-After asked; offloads go to the next partner meanwhile.",
    )
    last_error = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("partner_uniq", "unique(partner_id)", "This partner already has a federation peer."),
        ("key_id_uniq", "unique(key_id)", "This key id is already used by another peer."),
    ]

    def action_odm_issue_api_key(self):
        """Shows a new API key for the partner once, to send it over a safe channel."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only network managers issue API keys to partners."))
        key = self._odm_issue_api_key()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("API key for %(partner)s", partner=self.partner_id.name),
                "message": self.env._(
                    "%(key)s\nSend it to the partner now: it is not shown again.", key=key
                ),
                "sticky": True,
                "type": "warning",
            },
        }

    def _odm_issue_api_key(self):
        """A new Odoo API key for the partner to call us with (give it to them; it is shown
        only once). Their user here is created on first use: a portal user, a contact of the
        partner, so that it reaches nothing but the partner's own records."""
        self.ensure_one()
        if not self.local_user_id:
            contact = (
                self.env["res.partner"]
                .sudo()
                .create(
                    {
                        "name": self.env._("%(partner)s (network)", partner=self.partner_id.name),
                        "parent_id": self.partner_id.id,
                        "type": "other",
                    }
                )
            )
            self.local_user_id = (
                self.env["res.users"]
                .sudo()
                .with_context(no_reset_password=True)
                .create(
                    {
                        "login": f"odm-network-{self.key_id}",
                        "partner_id": contact.id,
                        "groups_id": [Command.set([self.env.ref("base.group_portal").id])],
                    }
                )
            )
        return (
            self.env["res.users.apikeys"]
            .with_user(self.local_user_id)
            .sudo()
            ._generate(API_KEY_SCOPE, f"ODM network {self.key_id}", None)
        )

    def _odm_client(self):
        """The API client of this partner (secrets read as superuser)."""
        self.ensure_one()
        peer = self.sudo()
        if not peer.remote_api_key:
            raise UserError(
                self.env._("%(peer)s has no API key for us yet.", peer=self.partner_id.name)
            )
        return FederationClient(
            peer.base_url,
            peer.key_id,
            peer.secret,
            peer.remote_api_key,
            timeout_s=peer.timeout_s,
            database=peer.database or None,
        )

    def _odm_call(self, method, *args):
        """One client call; the peer's state records whether the partner answered. A partner
        that throttled us is not called again before its Retry-After has passed."""
        self.ensure_one()
        now = fields.Datetime.now()
        if self.busy_until and self.busy_until > now:
            wait = math.ceil((self.busy_until - now).total_seconds())
            raise PartnerBusy(
                self.env._(
                    "%(peer)s asked us to wait until %(until)s (too many requests)",
                    peer=self.partner_id.name,
                    until=format_datetime(self.env, self.busy_until),
                ),
                wait,
            )
        client = self._odm_client()
        try:
            answer = getattr(client, method)(*args)
        except PartnerBusy as error:
            until = now + timedelta(seconds=error.retry_after_s)
            self.sudo().write({"busy_until": until, "last_error": str(error)})
            raise
        except PartnerUnavailable as error:
            self.sudo().write({"state": "offline", "last_error": str(error)})
            raise
        finally:
            client.close()
        self.sudo().write(
            {"state": "online", "last_contact": fields.Datetime.now(), "last_error": False}
        )
        return answer

    def action_odm_sync_capacity(self):
        try:
            self._odm_sync_capacity()
        except (PartnerUnavailable, PartnerRefused) as error:
            raise UserError(str(error)) from error

    def _odm_sync_capacity(self):
        """Stores the capacity the partner publishes (odm.partner.capacity, source federation)."""
        Capacity = self.env["odm.partner.capacity"]
        for peer in self:
            answer = peer._odm_call("capacity")
            codes = {entry.get("process") for entry in answer.get("processes", [])}
            processes = self.env["odm.process"].search([("code", "in", list(codes))])
            by_code = {process.code: process for process in processes}
            stored = Capacity.search(
                [("partner_id", "=", peer.partner_id.id), ("process_id", "in", processes.ids)]
            )
            stored_by_process = {capacity.process_id: capacity for capacity in stored}
            for entry in answer.get("processes", []):
                process = by_code.get(entry.get("process"))
                if not process:
                    continue
                values = {
                    "free_hours_per_day": float(entry.get("free_hours_per_day") or 0.0),
                    "next_free_date": entry.get("next_free_date") or False,
                    "source": "federation",
                    "published_at": fields.Datetime.now(),
                }
                existing = stored_by_process.get(process)
                if existing:
                    existing.write(values)
                else:
                    Capacity.create(
                        {"partner_id": peer.partner_id.id, "process_id": process.id, **values}
                    )
        return True

    def _odm_request_quote(self, part, process, material, quantity, finish=None):
        """The partner's quote for a part, sharing only what our agreement with it allows:
        the engine's measurements (metrics) or the file itself (geometry), and for a
        confidential part only under an NDA."""
        self.ensure_one()
        agreement = self.partner_id.commercial_partner_id.odm_agreement_id
        sharing = next(
            (level for level in ("geometry", "metrics") if agreement._odm_may_send(part, level)),
            None,
        )
        if not sharing:
            raise UserError(
                self.env._(
                    "Nothing of %(part)s may be sent to %(partner)s for a quote: the agreement "
                    "shares capacity only, or the part is confidential and there is no NDA.",
                    part=part.name,
                    partner=self.partner_id.name,
                )
            )
        return self._odm_call(
            "request_quote",
            {
                "reference": part.name,
                "process": process.code,
                "material": material.code if material else None,
                "finish": finish.code if finish else None,
                "quantity": int(quantity),
                "part": self._odm_part_payload(part, sharing),
            },
        )

    @api.model
    def _odm_part_payload(self, part, sharing):
        """What the API carries of a part: its file (geometry) or its measurements (metrics)."""
        if sharing == "geometry":
            return {
                "filename": part.file_name,
                "unit": part.unit,
                "file_base64": part.with_context(bin_size=False).file.decode(),
            }
        return {"name": part.name, "metrics": part.analysis}

    @api.model
    def _cron_odm_sync_capacity(self):
        """Cron: the capacity every active peer publishes; an unreachable one keeps its last
        figures and shows as Unreachable."""
        for peer in self.search([("remote_api_key", "!=", False)]):
            try:
                peer._odm_sync_capacity()
            except (PartnerUnavailable, PartnerRefused, UserError) as error:
                peer.message_post(body=self.env._("Capacity not updated: %(error)s", error=error))

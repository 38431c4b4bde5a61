from markupsafe import Markup, escape

from odoo import api, fields, models

from odm_engine.network import signing
from odm_engine.network.federation_client import ORDER_STATES

from .sale_order import NETWORK_STATES


class PurchaseOrder(models.Model):
    """Purchases that carry our work to a partner of the network: a whole manufacturing order
    (Odoo's subcontracting makes it at the partner) or one operation (a service)."""

    _inherit = "purchase.order"

    odm_production_id = fields.Many2one(
        "mrp.production",
        "Offloaded manufacturing order",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    odm_workorder_id = fields.Many2one(
        "mrp.workorder",
        "Offloaded operation",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    odm_offload_kind = fields.Selection(
        [("production", "Whole manufacturing order"), ("operation", "One operation")],
        "Offloaded",
        readonly=True,
        copy=False,
    )
    odm_remote_ref = fields.Char(
        "Partner's order",
        readonly=True,
        copy=False,
        help="The sales order the partner's shop made of this purchase.",
    )
    odm_remote_state = fields.Selection(
        [("placed", "Placed"), *NETWORK_STATES],
        "Partner's status",
        readonly=True,
        copy=False,
        tracking=True,
    )
    odm_tracking_ref = fields.Char("Tracking reference", readonly=True, copy=False)
    odm_idempotency_key = fields.Char(readonly=True, copy=False)
    odm_round_trip_ids = fields.One2many(
        "stock.picking",
        "odm_offload_purchase_id",
        "Round trip",
        readonly=True,
        help="An offloaded operation's parts: shipped to the partner, received back.",
    )

    @api.model
    def _odm_create_offload(self, partner, production, option, line_values, workorder=None):
        """A purchase of the offloaded work, dated and priced from the ranked option (its cost
        with commission, in the company's currency): confirmed at once, or left a request for
        quotation when the partner's agreement asks for one."""
        quantity = line_values["product_qty"]
        date_planned = self.env["odm.network.router"]._date_planned(option)
        purchase = self.create(
            {
                "partner_id": partner.id,
                "company_id": production.company_id.id,
                "currency_id": production.company_id.currency_id.id,
                "origin": production.name,
                "date_planned": date_planned,
                "odm_production_id": production.id,
                "odm_workorder_id": workorder.id if workorder else False,
                "odm_offload_kind": "operation" if workorder else "production",
                "order_line": [
                    fields.Command.create(
                        {
                            **line_values,
                            "price_unit": option.cost / quantity,
                            "date_planned": date_planned,
                        }
                    )
                ],
            }
        )
        specification = purchase._odm_quote_specification(production.bom_id.odm_quote_id)
        if specification:
            line = purchase.order_line
            line.name = "\n".join([line.name, *specification])
        if not partner.commercial_partner_id.odm_agreement_id.rfq_first:
            purchase.button_confirm()
        return purchase

    def _odm_quote_specification(self, quote):
        """The customer's specification of a quote version, one line each (tolerance,
        threads...): what the partner must hold to."""
        spec = (quote.result or {}).get("specification") if quote else None
        return self.env["odm.part.specification"]._odm_describe(spec)

    def button_approve(self, force=False):
        """A confirmed offload hands the work over to the partner (see _odm_hand_over)."""
        result = super().button_approve(force=force)
        self.filtered(
            lambda purchase: purchase.odm_offload_kind and purchase.state in ("purchase", "done")
        )._odm_hand_over()
        return result

    def _odm_hand_over(self):
        """The work is the partner's: our order of a whole offload is cancelled, an offloaded
        operation leaves our plan and its parts make a round trip to the partner."""
        for purchase in self:
            production, workorder = purchase.odm_production_id, purchase.odm_workorder_id
            if purchase.odm_offload_kind == "production" and production.state != "cancel":
                production._odm_cancel_for(purchase)
            elif purchase.odm_offload_kind == "operation" and not workorder.odm_offload_purchase_id:
                workorder._odm_mark_offloaded(purchase)
                purchase._odm_ship_round_trip()

    def _odm_ship_round_trip(self):
        """Two transfers of the operation's parts: to the partner's subcontracting location
        and back to stock; receiving them back receives the service (the work order ends)."""
        self.ensure_one()
        production = self.odm_production_id
        warehouse = production.picking_type_id.warehouse_id or self.picking_type_id.warehouse_id
        partner = self.partner_id.commercial_partner_id
        at_partner = partner.with_company(self.company_id).property_stock_subcontractor
        stock = warehouse.lot_stock_id
        legs = (
            (warehouse.subcontracting_resupply_type_id, stock, at_partner),
            (warehouse.in_type_id, at_partner, stock),
        )
        self.env["stock.picking"].sudo().create(
            [
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": partner.id,
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                    "origin": f"{self.name} - {production.name}",
                    "odm_offload_purchase_id": self.id,
                    "move_ids": [
                        fields.Command.create(
                            {
                                "name": self.odm_workorder_id.display_name,
                                "product_id": production.product_id.id,
                                "product_uom_qty": production.product_qty,
                                "product_uom": production.product_uom_id.id,
                                "location_id": source.id,
                                "location_dest_id": destination.id,
                            }
                        )
                    ],
                }
                for picking_type, source, destination in legs
            ]
        ).action_confirm()

    def _odm_share_part(self, quote, quantity):
        """What the partner gets about the part, as its agreement allows: full geometry (and an
        NDA for a confidential part) attaches the file and its specification; geometry metrics
        writes the specification in the order's note; capacity only sends nothing."""
        self.ensure_one()
        agreement = self.partner_id.commercial_partner_id.odm_agreement_id
        part = quote.part_id
        if not agreement._odm_may_send(part, "metrics"):
            return
        specification = self._odm_specification(quote, quantity)
        self.notes = Markup("<p>%s</p>") % Markup("<br/>").join(map(escape, specification))
        if not agreement._odm_allows("geometry"):
            return
        attachments = self.env["ir.attachment"]
        attachments.create(
            [
                {
                    "name": part.file_name,
                    "datas": part.file,
                    "res_model": self._name,
                    "res_id": self.id,
                },
                {
                    "name": self.env._("%(part)s - specification.txt", part=part.name),
                    "raw": "\n".join(specification).encode(),
                    "mimetype": "text/plain",
                    "res_model": self._name,
                    "res_id": self.id,
                },
            ]
        )

    def _odm_specification(self, quote, quantity):
        """The part's metrics and what to make, one line each."""
        part = quote.part_id
        lines = [
            self.env._("Part: %(part)s", part=part.name),
            self.env._("Size: %(size)s", size=part.dimensions),
            self.env._("Volume: %(volume).1f cm³", volume=part.volume_mm3 / 1000),
            self.env._("Process: %(process)s", process=quote.process_id.name),
            self.env._("Material: %(material)s", material=quote.material_id.name),
        ]
        if quote.finish_id:
            lines.append(self.env._("Finish: %(finish)s", finish=quote.finish_id.name))
        lines += self._odm_quote_specification(quote)
        if self.odm_workorder_id:
            lines.append(
                self.env._("Operation: %(operation)s", operation=self.odm_workorder_id.name)
            )
        lines.append(self.env._("Quantity: %(quantity)g", quantity=quantity))
        return lines

    def _odm_send_to_partner(self):
        """A partner that runs the network's software gets the order through its API."""
        self.ensure_one()
        if self.partner_id.commercial_partner_id.odm_federation_peer_id:
            self._odm_federation_place()

    def _odm_federation_place(self):
        """Orders the offloaded manufacturing order from the partner's shop through its API.

        The partner makes its own sales order and manufacturing order; the idempotency key comes
        from the order's content, so placing it again (a retry after a timeout) never makes a
        second one. ``PartnerUnavailable`` and ``PartnerRefused`` (with the partner's reason, e.g.
        a part it cannot make) go up to the caller, which tries the next partner. Operations and
        partners whose agreement does not share the geometry go by the usual channel: returns
        False.
        """
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        agreement = partner.odm_agreement_id
        quote = self.odm_production_id.bom_id.odm_quote_id
        if (
            self.odm_offload_kind != "production"
            or not quote
            or not agreement._odm_may_send(quote.part_id, "geometry")
        ):
            return False
        peer = partner.odm_federation_peer_id
        line = {
            "reference": quote.part_id.name,
            "process": quote.process_id.code,
            "material": quote.material_id.code or None,
            "finish": quote.finish_id.code or None,
            "quantity": self.odm_production_id.product_qty,
            "part": peer._odm_part_payload(quote.part_id, "geometry"),
        }
        payload = {
            "po_ref": self.name,
            "lines": [{**line, **self._odm_specification_payload(quote)}],
        }
        key = signing.idempotency_key(peer.key_id, payload)
        answer = peer._odm_call("place_order", payload, key)
        self.write(
            {
                "odm_remote_ref": answer.get("order_ref"),
                "odm_remote_state": answer.get("state")
                if answer.get("state") in ORDER_STATES
                else "placed",
                "odm_idempotency_key": key,
            }
        )
        self.message_post(
            body=self.env._(
                "Placed with %(partner)s through the network: their order %(ref)s.",
                partner=partner.name,
                ref=answer.get("order_ref"),
            )
        )
        return answer

    def _odm_specification_payload(self, quote):
        """The optional ``specification`` and ``drawing`` of an order line (network API v1):
        only when the customer gave one, so partners on older versions get what they know."""
        spec = dict((quote.result or {}).get("specification") or {})
        if not spec:
            return {}
        spec.pop("drawing")
        payload = {"specification": spec}
        drawing = quote.sale_line_id.sudo().odm_specification_ids[:1]
        if drawing.drawing:
            payload["drawing"] = {
                "filename": drawing.drawing_name or "drawing.pdf",
                "file_base64": drawing.with_context(bin_size=False).drawing.decode(),
            }
        return payload

    def _odm_federation_status(self, state, order_ref=None, tracking_ref=None, carrier=None):
        """A status callback of the partner: the order's remote state moves forward only (a
        late callback never takes it back), the chatter says what happened."""
        self.ensure_one()
        values = {}
        current = self.odm_remote_state
        if current not in ORDER_STATES or ORDER_STATES.index(state) > ORDER_STATES.index(current):
            values["odm_remote_state"] = state
        if order_ref and not self.odm_remote_ref:
            values["odm_remote_ref"] = order_ref
        if tracking_ref:
            values["odm_tracking_ref"] = tracking_ref
        self.write(values)
        label = dict(NETWORK_STATES)[state]
        details = ", ".join(
            part
            for part in (
                carrier and self.env._("carrier %(carrier)s", carrier=carrier),
                tracking_ref and self.env._("tracking %(ref)s", ref=tracking_ref),
            )
            if part
        )
        in_brackets = f" ({details})" if details else ""
        self.message_post(
            body=self.env._(
                "%(partner)s: %(status)s%(details)s",
                partner=self.partner_id.commercial_partner_id.name,
                status=label,
                details=in_brackets,
            )
        )

from odoo import SUPERUSER_ID, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    odm_part_line_count = fields.Integer(compute="_compute_odm_part_line_count")
    odm_blocked = fields.Boolean(
        "Blocked by manufacturability", compute="_compute_odm_part_line_count"
    )
    odm_portal_cart = fields.Boolean(
        "Portal cart",
        readonly=True,
        copy=False,
        help="A customer is filling this draft on the portal; requesting the quotation clears it.",
    )

    def _compute_odm_part_line_count(self):
        for order in self:
            part_lines = order.order_line.filtered("odm_part_id")
            order.odm_part_line_count = len(part_lines)
            order.odm_blocked = bool(order._odm_blocking_lines())

    def _odm_blocking_lines(self):
        return self.order_line.filtered(lambda line: line.odm_fatal and not line.odm_dfm_override)

    def _odm_accepted(self):
        """Whether the customer accepted the order (signed or confirmed): its prices stay."""
        self.ensure_one()
        return self.state not in ("draft", "sent") or bool(self.signature)

    def _has_to_be_signed(self):
        """A customer cannot accept online what a manager has not cleared for manufacturing."""
        return super()._has_to_be_signed() and not self._odm_blocking_lines()

    def _has_to_be_paid(self):
        return super()._has_to_be_paid() and not self._odm_blocking_lines()

    def action_confirm(self):
        for order in self:
            blocking = order._odm_blocking_lines()
            if blocking:
                raise UserError(
                    self.env._(
                        "%(order)s cannot be confirmed: %(parts)s failed a blocking "
                        "manufacturability check. A quoting manager can override it.",
                        order=order.name,
                        parts=", ".join(blocking.mapped("odm_part_id.name")),
                    )
                )
        return super().action_confirm()

    def _odm_add_uploads(
        self,
        uploads,
        process,
        quantity=1,
        *,
        material=None,
        finish=None,
        lead_time=None,
        unit="auto",
    ):
        """One priced line per part file of ``uploads`` [(filename, bytes)], zips expanded.

        All files become parts of the order's customer and lines, or none does:
        UploadRefusedError (a UserError) lists every refused file.
        """
        with self.env.cr.savepoint():
            lines, refused = self._odm_add_each_upload(
                uploads,
                process,
                quantity,
                material=material,
                finish=finish,
                lead_time=lead_time,
                unit=unit,
            )
            if refused:
                raise self.env["odm.part"]._refusal([reason.sentence for reason in refused])
        return lines

    def _odm_add_each_upload(
        self,
        uploads,
        process,
        quantity=1,
        *,
        material=None,
        finish=None,
        lead_time=None,
        unit="auto",
    ):
        """Like ``_odm_add_uploads``, but each file succeeds or fails on its own:
        (the lines of the good parts, a FileRefusal per refused file).

        A refused file leaves no part and no line: its part and line are written in one
        savepoint. An upload refused as a whole (too many files, an unreadable archive)
        raises UploadRefusedError; options the order cannot use raise OdmRequestError.
        """
        self.ensure_one()
        # Options are checked before the analysis, which is the slow part.
        self._odm_request_options(process, quantity, material, finish, lead_time)
        order = self.with_company(self.company_id)
        parts = order.env["odm.part"]
        customer = order.partner_id.commercial_partner_id
        return parts._each_upload(
            uploads,
            lambda filename, data, budget: order._odm_add_part_lines(
                parts.from_upload(data, filename, unit=unit, partner=customer, budget=budget),
                process,
                quantity,
                material=material,
                finish=finish,
                lead_time=lead_time,
            ),
        )

    def _odm_add_part_lines(
        self, parts, process, quantity=1, *, material=None, finish=None, lead_time=None
    ):
        """One line per part with these options, priced and frozen on creation."""
        self.ensure_one()
        options = self._odm_request_options(process, quantity, material, finish, lead_time)
        product = self.env.ref("odm_quote.product_custom_part")
        return self.env["sale.order.line"].create(
            [
                {
                    "order_id": self.id,
                    "product_id": product.id,
                    "product_uom_qty": options.quantity,
                    "odm_part_id": part.id,
                    "odm_process_id": options.process.id,
                    "odm_material_id": options.material.id,
                    "odm_finish_id": options.finish.id,
                    "odm_lead_time_id": lead_time.id if lead_time else False,
                }
                for part in parts
            ]
        )

    def _odm_request_options(self, process, quantity, material, finish, lead_time):
        """The options checked by odm.request.options for this order's company (any of its
        processes: the back office may quote what customers are not offered)."""
        return self.env["odm.request.options"].resolve(
            {
                "process": process,
                "quantity": quantity,
                "material": material,
                "finish": finish,
                "lead_time": lead_time,
            },
            company=self.company_id,
            offered_only=False,
        )

    def _odm_request_received(self):
        """A customer's request gets an owner (the company's rule), an activity for them (its
        notification e-mails them), a review activity per quoting manager for blocked parts,
        and an e-mail to the customer: "quotation ready", or "request received" under review."""
        for order in self:
            user, team = order.company_id._odm_request_owner(order.partner_id)
            # Nobody configured: a quoting manager rather than nobody.
            user = (
                user
                or order.user_id.filtered(lambda u: u.active and not u.share)
                or order._odm_quoting_managers()[:1]
            )
            order.write({"user_id": user.id, "team_id": team.id or order.team_id.id})
            owner = order.user_id
            if owner:
                order.message_subscribe(partner_ids=owner.partner_id.ids)
                order.activity_schedule(
                    "odm_quote.mail_activity_type_quote_request",
                    user_id=owner.id,
                    note=self.env._("Requested by %(customer)s.", customer=order.partner_id.name),
                )
            blocking = order._odm_blocking_lines()
            for manager in order._odm_quoting_managers() if blocking else ():
                order.activity_schedule(
                    "odm_quote.mail_activity_type_dfm_review",
                    user_id=manager.id,
                    note=self.env._(
                        "Blocked parts: %(parts)s. Change them or override the block.",
                        parts=", ".join(blocking.mapped("odm_part_id.name")),
                    ),
                )
            order._odm_mail_customer(
                "odm_quote.mail_template_request_received"
                if blocking
                else "odm_quote.mail_template_quotation_ready"
            )

    def _odm_quoting_managers(self):
        """Internal users of the order's company who may clear a manufacturability block."""
        self.ensure_one()
        group = self.env.ref("odm_quote.group_odm_quote_manager")
        return group.sudo().users.filtered(
            lambda user: not user.share and user.active and self.company_id in user.company_ids
        )

    def _odm_dfm_review_pending(self):
        """Whether someone was asked to review this order's blocked parts."""
        self.ensure_one()
        review = self.env.ref("odm_quote.mail_activity_type_dfm_review")
        return bool(self.sudo().activity_ids.filtered(lambda a: a.activity_type_id == review))

    def _odm_mail_customer(self, template_xmlid):
        """Posts one of the customer e-mails in the chatter, as the order's salesperson.

        Posted as the superuser: the customer, when the request is theirs, is the current user,
        whom Odoo never notifies of their own posts."""
        self.ensure_one()
        self.with_user(SUPERUSER_ID).message_post_with_source(
            template_xmlid,
            author_id=(self.user_id.partner_id or self.company_id.partner_id).id,
            email_layout_xmlid="mail.mail_notification_layout_with_responsible_signature",
            subtype_xmlid="mail.mt_comment",
        )

    def action_odm_add_parts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Add 3D parts"),
            "res_model": "odm.part.upload.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def action_odm_override_dfm(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override manufacturability block"),
            "res_model": "odm.dfm.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

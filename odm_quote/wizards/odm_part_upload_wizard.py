import base64

from odoo import api, fields, models
from odoo.tools import file_open


class OdmPartUploadWizard(models.TransientModel):
    """Adds one priced order line per uploaded part (several files, or zip archives of them)."""

    _name = "odm.part.upload.wizard"
    _description = "Add 3D Parts"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade")
    attachment_ids = fields.Many2many("ir.attachment", string="Files", required=True)
    process_id = fields.Many2one(
        "odm.process", required=True, default=lambda self: self.env.company.odm_default_process_id
    )
    material_id = fields.Many2one(
        "odm.material",
        domain="[('process_ids', 'in', process_id)]",
        help="Leave empty for the process's default material.",
    )
    finish_id = fields.Many2one("odm.finish", domain="[('process_ids', 'in', process_id)]")
    lead_time_id = fields.Many2one(
        "odm.lead.time.tier", default=lambda self: self.env.company.odm_default_lead_time_id
    )
    quantity = fields.Integer(required=True, default=1)
    unit = fields.Selection(
        [("auto", "As declared, else inferred"), ("mm", "Millimetres"), ("inch", "Inches")],
        required=True,
        default="auto",
        help="STL and OBJ files carry no unit: the engine infers it unless you choose one.",
    )

    @api.onchange("process_id")
    def _onchange_process_id(self):
        self.material_id, self.finish_id = self.env["odm.request.options"].drop_incompatible(
            self.process_id, self.material_id, self.finish_id
        )

    def action_add_parts(self):
        """Each file becomes a part and a priced line, or is refused on its own: the good
        ones are added, the refused ones listed with their reasons. UserError when none could
        be added."""
        self.ensure_one()
        uploads = [(a.name, base64.b64decode(a.datas or b"")) for a in self.attachment_ids]
        lines, refused = self.order_id._odm_add_each_upload(
            uploads,
            self.process_id,
            self.quantity,
            material=self.material_id,
            finish=self.finish_id,
            lead_time=self.lead_time_id,
            unit=self.unit,
        )
        if not lines:
            raise self.env["odm.part"]._refusal([refusal.sentence for refusal in refused])
        self.attachment_ids.unlink()
        close = {"type": "ir.actions.act_window_close"}
        if not refused:
            return close
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("These files were not added"),
                "message": "\n".join(refusal.sentence for refusal in refused),
                "type": "warning",
                "sticky": True,
                "next": close,
            },
        }

    @api.model
    def load_demo_quotation(self, partner_id, paths):
        """Demo data: a quotation of the addon's sample parts, added through this wizard."""
        order = self.env["sale.order"].create({"partner_id": partner_id})
        attachments = self.env["ir.attachment"]
        for path in paths:
            with file_open(f"odm_quote/{path}", "rb") as handle:
                attachments |= attachments.create(
                    {"name": path.rsplit("/", 1)[-1], "datas": base64.b64encode(handle.read())}
                )
        wizard = self.create(
            {"order_id": order.id, "attachment_ids": [(6, 0, attachments.ids)], "quantity": 25}
        )
        wizard.action_add_parts()
        return order

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class OdmRoutingTemplate(models.Model):
    """The operations a process's parts go through, from which each quoted part's BoM is routed.

    A template for a process wins over the one for its technology, so one template per technology
    serves every process of that technology unless a process needs its own.
    """

    _name = "odm.routing.template"
    _description = "Routing Template"
    _order = "technology, process_id, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    technology = fields.Selection(
        selection=lambda self: self.env["odm.process"]._fields["technology"].selection,
        required=True,
    )
    process_id = fields.Many2one(
        "odm.process",
        ondelete="cascade",
        domain="[('technology', '=', technology)]",
        help="Leave empty to route every process of the technology.",
    )
    line_ids = fields.One2many("odm.routing.template.line", "template_id", string="Operations")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    @api.constrains("technology", "process_id", "company_id", "active")
    def _check_one_per_process(self):
        for template in self.filtered("active"):
            twins = self.search_count(
                [
                    ("id", "!=", template.id),
                    ("technology", "=", template.technology),
                    ("process_id", "=", template.process_id.id),
                    ("company_id", "=", template.company_id.id),
                ]
            )
            if twins:
                raise ValidationError(
                    self.env._(
                        "%(name)s: a process or technology has one active routing template.",
                        name=template.name,
                    )
                )

    @api.onchange("process_id")
    def _onchange_process_id(self):
        if self.process_id:
            self.technology = self.process_id.technology

    @api.model
    def _for_process(self, process):
        """The process's template, else its technology's; UserError when there is none.

        A company's process is routed through that company's template (and work centers),
        whichever company the caller has active (a portal payment, a manager of several)."""
        company = process.company_id or self.env.company
        candidates = self.search(
            [
                ("technology", "=", process.technology),
                ("process_id", "in", (process.id, False)),
                ("company_id", "in", (company.id, False)),
            ]
        )
        template = candidates.sorted(lambda template: not template.process_id)[:1]
        if not template.line_ids:
            raise UserError(
                self.env._(
                    "No routing template with operations for %(process)s: add one under "
                    "On-Demand Manufacturing > Configuration > Routing Templates.",
                    process=process.name,
                )
            )
        return template

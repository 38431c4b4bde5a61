from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odm_engine.scheduling.routing import RoutingError, RoutingStep


class OdmRoutingTemplateLine(models.Model):
    """One operation of a routing template: where it runs and how its duration is found."""

    _name = "odm.routing.template.line"
    _description = "Routing Template Operation"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one(
        "odm.routing.template", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    workcenter_source = fields.Selection(
        [("machine", "The process's machine"), ("fixed", "A fixed work center")],
        string="Runs on",
        required=True,
        default="fixed",
        help="The process's machine: the first machine that runs the part's process and "
        "material and whose build volume holds the part.",
    )
    workcenter_id = fields.Many2one(
        "mrp.workcenter", string="Work center", help="The station of a fixed operation."
    )
    duration_mode = fields.Selection(
        [
            ("order", "Minutes per order"),
            ("part", "Minutes per part"),
            ("machine", "Quoted machine time"),
            ("setup", "Minutes per setup"),
        ],
        required=True,
        default="order",
        help="Quoted machine time is the print or machining time of the part's quote; setups "
        "are the CNC setups the quote counted.",
    )
    minutes = fields.Float(digits=(10, 2))

    @api.constrains("workcenter_source", "workcenter_id", "duration_mode", "minutes")
    def _check_step(self):
        for line in self:
            if line.workcenter_source == "fixed" and not line.workcenter_id:
                raise ValidationError(
                    self.env._("Operation %(name)s needs a work center.", name=line.name)
                )
            try:
                line._routing_step()
            except RoutingError as error:
                raise ValidationError(str(error)) from error

    def _routing_step(self):
        self.ensure_one()
        return RoutingStep(name=self.name, mode=self.duration_mode, minutes=self.minutes)

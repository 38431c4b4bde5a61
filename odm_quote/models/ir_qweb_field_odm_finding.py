from markupsafe import escape

from odoo import api, models
from odoo.tools import formatLang


class IrQwebFieldOdmFinding(models.AbstractModel):
    """QWeb widget ``odm_finding``: a DFM finding's sentence with its numbers written as the
    reader's language writes them (``<span t-out="finding" t-options="{'widget':
    'odm_finding'}"/>``).

    The engine gives each finding its English ``message`` and, when it holds numbers, the
    ``template`` and ``params`` it was made of (odm_engine.mesh.messages); findings stored
    before they had templates are shown as they are.
    """

    _name = "ir.qweb.field.odm_finding"
    _description = "QWeb Field: DFM Finding"
    _inherit = "ir.qweb.field"

    @api.model
    def value_to_html(self, value, _options):
        return escape(self.odm_text(value))

    @api.model
    def odm_text(self, finding):
        """The finding's sentence in the environment's language (numbers grouped, decimal
        separator of the language)."""
        template, params = finding.get("template"), finding.get("params") or {}
        if not template:
            return finding["message"]
        try:
            return template % {
                name: formatLang(self.env, param["value"], digits=param["digits"])
                if isinstance(param, dict)
                else param
                for name, param in params.items()
            }
        except (KeyError, TypeError, ValueError):
            return finding["message"]

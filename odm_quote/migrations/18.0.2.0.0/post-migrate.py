from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Cost-model parameters the engine gained since 18.0.1 get a line on every process, valued
    as the engine's defaults, so upgraded databases keep quoting and show the new figures."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["odm.process"].add_missing_parameters()

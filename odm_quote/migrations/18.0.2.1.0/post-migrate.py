from odoo import SUPERUSER_ID, api


def migrate(cr, version):  # pylint: disable=unused-argument
    """The specification parameters (tolerance, threads, inserts, roughness, inspection) get a
    line on every process, valued as the engine's defaults, so they can be edited at once."""
    api.Environment(cr, SUPERUSER_ID, {})["odm.process"].add_missing_parameters()

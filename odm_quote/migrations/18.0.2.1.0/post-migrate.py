from odoo import SUPERUSER_ID, api


def migrate(cr, version):  # pylint: disable=unused-argument
    """The specification parameters (tolerance, threads, inserts, roughness, inspection) and
    FDM's print time factor get a line on every process, valued as the engine's defaults, so
    they can be edited at once."""
    api.Environment(cr, SUPERUSER_ID, {})["odm.process"].add_missing_parameters()

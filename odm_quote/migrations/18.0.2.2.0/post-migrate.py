from odoo import SUPERUSER_ID, api

from odoo.addons.odm_quote.models.pricing_seed import set_seeded_slicer_printers


def migrate(cr, version):  # pylint: disable=unused-argument
    """The seeded MK4S and Form 4 machine types name their slicer profiles (MK4, SL1S): SLA
    lines are sliced in the background from this version on."""
    set_seeded_slicer_printers(api.Environment(cr, SUPERUSER_ID, {}))

from odoo import SUPERUSER_ID, api


def migrate(cr, version):  # pylint: disable=unused-argument
    """Each machine's "Quoted as" (new) is proposed again now that odm_quote's migration named
    the seeded machine types' slicer profiles: when the column was filled, none had one."""
    machines = api.Environment(cr, SUPERUSER_ID, {})["odm.machine"].with_context(active_test=False)
    machines.search([("machine_type_id", "=", False)])._compute_machine_type_id()

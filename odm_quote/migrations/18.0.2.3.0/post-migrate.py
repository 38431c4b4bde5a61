from odoo import SUPERUSER_ID, api


def migrate(cr, version):  # pylint: disable=unused-argument
    """This engine stores another SLA layer table (the pad follows the pillar bases): parts
    analysed before it would price SLA with the volume formula until analysed again."""
    api.Environment(cr, SUPERUSER_ID, {})["odm.part"]._odm_queue_stale_refresh()

from odoo import fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from odm_engine.network.federation_client import ORDER_STATES, PartnerRefused, PartnerUnavailable

NETWORK_STATES = [
    ("accepted", "Accepted"),
    ("in_production", "In production"),
    ("shipped", "Shipped"),
]
STATUS_RETRIES = 12


class SaleOrder(models.Model):
    """Orders a client shop placed with us over the federation API, and the status callbacks
    that keep its purchase order up to date (sent after commit by queue_job, retried while
    the client is unreachable)."""

    _inherit = "sale.order"

    odm_network_client_id = fields.Many2one(
        "odm.federation.peer",
        "Network client",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The shop of the network that placed this order through the federation API.",
    )
    odm_network_po_ref = fields.Char("Client's purchase order", readonly=True, copy=False)
    odm_network_state = fields.Selection(
        NETWORK_STATES, "Network status", readonly=True, copy=False, help="Last status sent."
    )

    def action_confirm(self):
        result = super().action_confirm()
        self._odm_notify_network("accepted")
        return result

    def _odm_notify_network(self, status, tracking_ref=None, carrier=None):
        """Queues the status callback of the network orders that did not reach it yet."""
        rank = ORDER_STATES.index(status)
        for order in self.filtered("odm_network_client_id"):
            sent = order.odm_network_state
            if sent and ORDER_STATES.index(sent) >= rank:
                continue
            order.odm_network_state = status
            order.with_delay(
                max_retries=STATUS_RETRIES,
                description=self.env._(
                    "Tell %(client)s that %(order)s is %(status)s",
                    client=order.odm_network_client_id.partner_id.name,
                    order=order.name,
                    status=status,
                ),
            )._odm_send_network_status(status, tracking_ref, carrier)

    def _odm_send_network_status(self, status, tracking_ref=None, carrier=None):
        """Job: posts one status callback to the client shop; retried while it is unreachable
        or does not know the purchase order yet (data/odm_federation_data.xml sets the delays);
        any other refusal ends the job as failed, with the client's reason."""
        self.ensure_one()
        payload = {
            "po_ref": self.odm_network_po_ref,
            "order_ref": self.name,
            "state": status,
            "tracking_ref": tracking_ref,
            "carrier": carrier,
        }
        try:
            return self.odm_network_client_id._odm_call("post_status", payload)
        except PartnerUnavailable as error:
            raise RetryableJobError(str(error)) from error
        except PartnerRefused as error:
            # The client may not have committed the purchase order our answer was about yet.
            if error.status == 404:
                raise RetryableJobError(str(error)) from error
            raise

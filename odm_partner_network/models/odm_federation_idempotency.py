from odoo import fields, models


class OdmFederationIdempotency(models.Model):
    """The first answer to an order placed with an ``Idempotency-Key``.

    A client that retries (its answer was lost, a timeout) sends the same key and gets the
    same answer instead of a second order; the same key with another body is a conflict.
    """

    _name = "odm.federation.idempotency"
    _description = "Federation Idempotency Key"
    _order = "create_date desc"

    peer_id = fields.Many2one("odm.federation.peer", required=True, ondelete="cascade", index=True)
    key = fields.Char(required=True)
    body_sha256 = fields.Char(required=True, help="SHA-256 of the request body the key came with.")
    status_code = fields.Integer(required=True)
    response = fields.Json(required=True)
    sale_order_id = fields.Many2one("sale.order", ondelete="set null", readonly=True)

    _sql_constraints = [
        ("peer_key_uniq", "unique(peer_id, key)", "This idempotency key was already used."),
    ]

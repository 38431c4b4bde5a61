from datetime import UTC, datetime

from odoo import api, fields, models
from odoo.tools import SQL


class OdmFederationNonce(models.Model):
    """Nonces of accepted federation requests, kept until their timestamp leaves the window.

    A table rather than memory so that every worker of the server refuses a replay; the unique
    constraint makes two requests racing with one nonce end with one accepted. Rows are
    committed as soon as written (see ``_odm_add``), whatever becomes of the request; Odoo's
    retry of the same request after a serialization failure passes its own nonce again through
    the controller's ``signing.RequestNonceStore``.
    """

    _name = "odm.federation.nonce"
    _description = "Federation Request Nonce"
    _log_access = False

    key_id = fields.Char(required=True)
    nonce = fields.Char(required=True)
    expires_at = fields.Datetime(required=True, index=True)

    _sql_constraints = [
        ("key_nonce_uniq", "unique(key_id, nonce)", "This nonce was already used with this key."),
    ]

    @api.model
    def _odm_store(self):
        """This table as an ``engine.signing.NonceStore``."""
        return SqlNonceStore(self)

    @api.model
    def _odm_add(self, key_id, nonce, expires_at, now):
        """Records the nonce; False when it is already there and not expired at ``now``.

        An expired row with the same nonce is taken over, so the cron's schedule never decides.
        The row is written on a cursor of its own, committed at once: a request refused after
        its signature was checked rolls its own transaction back, and its nonce must stay used
        or the same signed bytes could be sent again within the window.
        """
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """
                    INSERT INTO %(table)s (key_id, nonce, expires_at)
                         VALUES (%(key_id)s, %(nonce)s, %(expires_at)s)
                    ON CONFLICT (key_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
                          WHERE %(table)s.expires_at <= %(now)s
                      RETURNING id
                    """,
                    table=SQL.identifier(self._table),
                    key_id=key_id,
                    nonce=nonce,
                    expires_at=_utc(expires_at),
                    now=_utc(now),
                )
            )
            return bool(cr.fetchone())

    @api.model
    def _odm_purge_expired(self):
        """Cron: forgets nonces whose request could no longer be replayed anyway."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM %s WHERE expires_at <= %s",
                SQL.identifier(self._table),
                fields.Datetime.now(),
            )
        )


class SqlNonceStore:
    """``engine.signing.NonceStore`` over the nonce table (see ``OdmFederationNonce``)."""

    def __init__(self, model):
        self._model = model

    def add(self, key_id, nonce, expires_at, now):
        return self._model._odm_add(key_id, nonce, expires_at, now)


def _utc(timestamp):
    """A naive UTC datetime, as Odoo stores them, of a Unix time."""
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)

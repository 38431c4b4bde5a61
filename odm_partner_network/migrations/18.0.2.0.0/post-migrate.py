def migrate(cr, version):
    """Keys issued to partner shops before 18.0.2 had no scope, so they also opened Odoo's own
    RPC as the shop's portal user: they are limited to the federation routes."""
    cr.execute(
        """
        UPDATE res_users_apikeys key
           SET scope = 'odm_federation'
          FROM odm_federation_peer peer
         WHERE peer.local_user_id = key.user_id
           AND key.scope IS NULL
        """
    )

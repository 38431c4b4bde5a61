"""The portal home shows supplier tiles (purchase's requests for quotation and orders,
subcontracting's manufacturing orders) to partner shops of the network, not to customers."""

from odoo.tests import HttpCase, new_test_user, tagged

SUPPLIER_TILES = ('href="/my/rfq"', 'href="/my/purchase"', 'href="/my/productions"')


@tagged("post_install", "-at_install")
class TestPortalSupplierTiles(HttpCase):
    def portal_user(self, login, company):
        contact = self.env["res.partner"].create({"name": login, "parent_id": company.id})
        return new_test_user(
            self.env, login=login, groups="base.group_portal", partner_id=contact.id
        )

    def home(self, user):
        self.authenticate(user.login, user.login)
        response = self.url_open("/my/home")
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_customer_sees_no_supplier_tile_and_a_partner_shop_does(self):
        customer = self.env["res.partner"].create({"name": "Acme Buyers", "is_company": True})
        # A customer we once bought from: purchase's tiles would count its orders.
        self.env["purchase.order"].create({"partner_id": customer.id}).write({"state": "sent"})
        html = self.home(self.portal_user("odm_tiles_customer", customer))
        for tile in SUPPLIER_TILES:
            self.assertNotIn(tile, html)
        self.assertIn('href="/odm/quote"', html, "the customer's own tiles stay")

        shop = self.env["res.partner"].create(
            {"name": "Partner Print Farm", "is_company": True, "odm_is_manufacturer": True}
        )
        html = self.home(self.portal_user("odm_tiles_shop", shop))
        for tile in SUPPLIER_TILES:
            self.assertIn(tile, html)

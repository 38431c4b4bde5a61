from odoo.tests import tagged

from .common import box_stl
from .test_odm_portal import PortalCase


@tagged("post_install", "-at_install")
class TestAcceptedPriceHasNoBand(PortalCase):
    """Once the customer accepted an order its prices stay, whatever the slice finds: the
    portal shows them without the estimate's band ("±x %"), which would promise a change that never
    comes."""

    def test_quotation_shows_the_band_the_confirmed_order_does_not(self):
        order = self.make_cart(self.ada, {"bracket.stl": box_stl(60, 40, 20)}, 5)
        note = order.order_line.odm_estimate_note
        self.assertIn("±", note)  # "estimated ±x %", or "calibrated from N prints ±x %"
        order.odm_portal_cart = False
        order.action_quotation_sent()
        self.login(self.ada)
        self.assertIn(note, self.url_open(order.get_portal_url()).text)
        order.action_confirm()
        page = self.url_open(order.get_portal_url()).text
        self.assertIn("bracket.stl", page)
        self.assertNotIn(note, page)

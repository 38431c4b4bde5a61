from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.odm_mrp.tests.test_quote_capability import QuoteCapabilityCase
from odoo.addons.odm_quote.tests.common import box_stl


@tagged("post_install", "-at_install")
class TestPartnerSupply(QuoteCapabilityCase):
    """What no machine of ours makes is quoted when a partner in force can make it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bureau = cls.env["res.partner"].create(
            {
                "name": "Test Large Resin Bureau",
                "is_company": True,
                "odm_is_manufacturer": True,
                "odm_capability_ids": [
                    Command.create(
                        {
                            "process_id": process.id,
                            "material_ids": [Command.set(process.default_material_id.ids)],
                            "max_x_mm": 400,
                            "max_y_mm": 400,
                            "max_z_mm": 400,
                            "tolerance_mm": 0.1,
                        }
                    )
                    for process in (cls.sla, cls.mjf)
                ],
            }
        )
        cls.agreement = cls.env["odm.partner.agreement"].create(
            {
                "name": "Resin bureau agreement",
                "partner_id": cls.bureau.id,
                "state": "active",
                "sharing_level": "geometry",
                "nda_signed": True,
                "nda_date": fields.Date.context_today(cls.env.user),
            }
        )

    def test_partner_in_force_supplies_what_no_machine_holds(self):
        order = self._order((box_stl(304, 304, 10), self.sla, self.resin, 2))
        line = order.order_line
        self.assertFalse(line.odm_supply_issue)
        self.assertTrue(line.odm_partner_supply)
        self.assertFalse(order.odm_blocked)
        order.action_confirm()
        production = self._productions(line)
        self.assertEqual(production.product_qty, 2)
        self.assertFalse(production.workorder_ids, "no operation of ours: the partner makes it")

    def test_own_machine_first_partner_only_when_needed(self):
        order = self._order((box_stl(100, 80, 30), self.sla, self.resin, 1))
        self.assertFalse(order.order_line.odm_partner_supply)

    def test_ended_agreement_supplies_nothing(self):
        self.agreement.action_end()
        order = self._order((box_stl(304, 304, 10), self.sla, self.resin, 1))
        self.assertTrue(order.order_line.odm_supply_issue)
        self.assertFalse(order.order_line.odm_partner_supply)
        self.assertTrue(order.odm_blocked)
        self.assertNotIn(self.mjf, self.env["odm.process"]._odm_offered())

    def test_partner_capability_offers_a_process_the_shop_lacks(self):
        self.assertIn(self.mjf, self.env["odm.process"]._odm_offered())
        self.bureau.odm_capability_ids.filtered(lambda c: c.process_id == self.mjf).unlink()
        self.assertNotIn(self.mjf, self.env["odm.process"]._odm_offered())

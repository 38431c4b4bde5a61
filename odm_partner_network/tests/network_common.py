from datetime import datetime, time, timedelta

from odoo import Command, fields

from odoo.addons.odm_mrp.tests.common import MakeToOrderCase

# Our shop in Freiburg; the partners' distances below are from there.
HOME = (47.9990, 7.8421)


class NetworkCase(MakeToOrderCase):
    """A late FDM order of ours and three partner shops, one per sharing level.

    Demo manufacturers are set aside so the rankings hold only this test's shops.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.write({"odm_latitude": HOME[0], "odm_longitude": HOME[1]})
        cls.env["res.partner"].search([("odm_is_manufacturer", "=", True)]).write(
            {"odm_is_manufacturer": False}
        )
        cls.env.company.write(
            {"odm_offload_within_pct": 10.0, "odm_auto_offload": True, "odm_max_distance_km": 0}
        )
        (cls.prep | cls.bench | cls.printer.workcenter_id).costs_hour = 60
        cls.geometry_shop = cls._shop("Test Print Farm Lyon", (45.7640, 4.8357), "geometry", True)
        cls.metrics_shop = cls._shop("Test Metrics Shop Basel", (47.5596, 7.5886), "metrics")
        cls.capacity_shop = cls._shop("Test Capacity Shop Paris", (48.8566, 2.3522), "capacity")
        cls.unbound_shop = cls._shop("Test Shop Without Agreement", (48.0, 8.0), None)
        cls.today = fields.Date.context_today(cls.env.user)

    @classmethod
    def _shop(cls, name, location, sharing, nda=False):
        """A partner shop that prints PLA by FDM, with capacity, rates and an agreement."""
        shop = cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "odm_is_manufacturer": True,
                "odm_latitude": location[0],
                "odm_longitude": location[1],
                "odm_capability_ids": [
                    Command.create(
                        {
                            "process_id": cls.fdm.id,
                            "material_ids": [Command.set(cls.pla.ids)],
                            "max_x_mm": 300,
                            "max_y_mm": 300,
                            "max_z_mm": 300,
                            "tolerance_mm": 0.2,
                        }
                    )
                ],
                "odm_capacity_ids": [
                    Command.create(
                        {
                            "process_id": cls.fdm.id,
                            "free_hours_per_day": 40,
                            "next_free_date": fields.Date.context_today(cls.env.user),
                        }
                    )
                ],
                "odm_rate_ids": [
                    Command.create(
                        {"process_id": cls.fdm.id, "setup_price": 5, "per_part_price": 1}
                    )
                ],
            }
        )
        if sharing:
            cls.env["odm.partner.agreement"].create(
                {
                    "name": f"{name} agreement",
                    "partner_id": shop.id,
                    "state": "active",
                    "sharing_level": sharing,
                    "nda_signed": nda,
                    "nda_date": nda and fields.Date.context_today(cls.env.user),
                }
            )
        return shop

    def _late_production(self, quantity=5, due_in_days=4, finish_in_days=12):
        """A confirmed order of ours whose planned finish is after its deadline."""
        order = self._fdm_order(quantity)
        order.action_confirm()
        production = self._productions(order.order_line)
        self._plan(production, finish_in_days)
        production.date_deadline = datetime.combine(
            self.today + timedelta(days=due_in_days), time(12)
        )
        return production

    def _plan(self, production, finish_in_days):
        """Dates the work orders as the planner would, the last one ending in that many days."""
        finish = datetime.combine(self.today + timedelta(days=finish_in_days), time(12))
        for index, workorder in enumerate(production.workorder_ids.sorted("sequence")):
            workorder.with_context(bypass_duration_calculation=True).write(
                {
                    "date_start": finish - timedelta(hours=3 - index),
                    "date_finished": finish - timedelta(hours=2 - index),
                }
            )

    def _offload_past_failing_peer(self, peer_values):
        """Offloads a late order whose best partner's federation peer (``peer_values``) fails:
        checks that its purchase was rolled back, the reason posted and the next partner took
        the work. Returns the order."""
        second = self._shop("Test Second Geometry Shop", (47.3769, 8.5417), "geometry", True)
        self.env["odm.federation.peer"].create(
            {
                "partner_id": self.geometry_shop.id,
                "remote_api_key": "test-api-key",
                "timeout_s": 30,
                **peer_values,
            }
        )
        production = self._late_production()
        router = self.env["odm.network.router"]
        ranking, _decision, by_key, _left_out = router.rank(production)
        attempts = router._attempts(ranking, by_key, self.geometry_shop.name)
        self.assertEqual([partner for partner, _option in attempts], [self.geometry_shop, second])
        purchase = router.offload(production, None, attempts)
        self.assertEqual(purchase.partner_id, second)
        self.assertFalse(
            self.env["purchase.order"].search([("partner_id", "=", self.geometry_shop.id)]),
            "the failing partner's purchase was rolled back",
        )
        self.assertTrue(
            any(
                self.geometry_shop.name in body and "next option" in body
                for body in production.message_ids.mapped("body")
            )
        )
        return production

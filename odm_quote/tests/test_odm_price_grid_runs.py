"""The price grid prices each of its rows once: the estimate band of an instant FDM quote
(two more engine runs) is shown beside the line's own price, never in a grid cell."""

from unittest import mock

from odoo.tests import TransactionCase, tagged

from odoo.addons.odm_quote.models import odm_pricing

from .common import box_stl


@tagged("post_install", "-at_install")
class TestPriceGridRuns(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fdm = cls.env.ref("odm_quote.process_fdm")
        partner = cls.env["res.partner"].create({"name": "Grid Buyer"})
        order = cls.env["sale.order"].create({"partner_id": partner.id})
        order._odm_add_uploads([("bracket.stl", box_stl(60, 40, 30))], cls.fdm, 20)
        cls.line = order.order_line

    def engine_runs(self, build):
        """(what ``build()`` returns, how many times it ran the pricing engine)."""
        runs = []
        real = odm_pricing.quote_part

        def counted(*args, **kwargs):
            runs.append(args[2])
            return real(*args, **kwargs)

        with mock.patch.object(odm_pricing, "quote_part", side_effect=counted):
            return build(), len(runs)

    def test_a_line_grid_prices_each_row_once(self):
        grid, runs = self.engine_runs(self.line._odm_price_grid)
        self.assertGreater(len(grid.quantities), 1)
        self.assertEqual(runs, len(grid.quantities))
        chosen = next(cell for cell in grid.cells if cell.chosen)
        self.assertEqual(chosen.unit_price, self.line.price_unit, "same price as the line's")

    def test_a_quote_grid_prices_each_row_once(self):
        part = self.line.odm_part_id
        material = self.fdm.default_material_id
        grid, runs = self.engine_runs(
            lambda: self.env["odm.customer.view"].price_grid(part, self.fdm, material, 20)
        )
        self.assertEqual(runs, len(grid.quantities))

    def test_the_line_quote_keeps_its_band(self):
        (result, parameters), runs = self.engine_runs(self.line._odm_quote)
        self.assertEqual(runs, 3, "the price and both ends of its band")
        low, high = parameters["estimate"]["unit_price"]
        self.assertLessEqual(low, result.unit_price)
        self.assertGreaterEqual(high, result.unit_price)

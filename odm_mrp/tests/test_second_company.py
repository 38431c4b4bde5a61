from datetime import timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.odm_quote.tests.common import box_stl


@tagged("post_install", "-at_install")
class TestSecondCompany(TransactionCase):
    """A second company with its own FDM process, printer, work centers and calendar: its
    quotes are routed and promised from its own plan, whichever company the user has active."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.main = cls.env.ref("base.main_company")
        cls.second = cls.env["res.company"].create({"name": "Second Shop"})
        around_the_clock = cls.env.ref("odm_mrp.resource_calendar_24_7")
        # The second shop works every day, the first Monday to Friday: promises differ.
        cls.second.resource_calendar_id = around_the_clock.copy({"company_id": cls.second.id})
        fdm = cls.env.ref("odm_quote.process_fdm")
        cls.fdm = fdm.copy(
            {
                "company_id": cls.second.id,
                "code": "FDM",
                "parameter_ids": [
                    Command.create(line.copy_data({"process_id": False})[0])
                    for line in fdm.parameter_ids
                ],
            }
        )
        cls.fdm.parameter_ids.filtered(lambda line: line.key == "lead_time_days").value = 8
        cls.pla = cls.env.ref("odm_quote.material_pla").copy(
            {"company_id": cls.second.id, "code": "PLA", "process_ids": [Command.set(cls.fdm.ids)]}
        )
        cls.fdm.default_material_id = cls.pla
        cls.standard = cls.env["odm.lead.time.tier"].create(
            {"name": "Standard", "code": "STD", "company_id": cls.second.id}
        )
        cls.env["odm.margin"].create({"company_id": cls.second.id, "markup_pct": 30})
        cls.second.write(
            {"odm_default_process_id": cls.fdm.id, "odm_default_lead_time_id": cls.standard.id}
        )
        cls.env["odm.machine.type"].create(
            {
                "name": "Printer",
                "code": "P",
                "process_id": cls.fdm.id,
                "company_id": cls.second.id,
                "currency_id": cls.second.currency_id.id,
                "rate_per_hour": 3,
                "build_x_mm": 250,
                "build_y_mm": 210,
                "build_z_mm": 220,
            }
        )
        bench = cls.env["mrp.workcenter"].create(
            {
                "name": "Second shop bench",
                "company_id": cls.second.id,
                "resource_calendar_id": cls.second.resource_calendar_id.id,
            }
        )
        cls.template = cls.env["odm.routing.template"].create(
            {
                "name": "Second shop FDM",
                "technology": "fdm",
                "company_id": cls.second.id,
                "line_ids": [
                    Command.create(
                        {
                            "name": "Print",
                            "workcenter_source": "machine",
                            "duration_mode": "machine",
                        }
                    ),
                    Command.create(
                        {
                            "name": "Pack",
                            "workcenter_id": bench.id,
                            "duration_mode": "order",
                            "minutes": 10,
                        }
                    ),
                ],
            }
        )

    def _printer(self):
        return (
            self.env["odm.machine"]
            .with_company(self.second)
            .create(
                {
                    "name": "Second shop MK4",
                    "company_id": self.second.id,
                    "process_id": self.fdm.id,
                    "material_ids": [Command.set(self.pla.ids)],
                    "build_x_mm": 250,
                    "build_y_mm": 210,
                    "build_z_mm": 220,
                }
            )
        )

    def _both_companies(self, active):
        other = self.second if active == self.main else self.main
        return {"allowed_company_ids": [active.id, other.id]}

    def test_second_company_printer_plans_around_the_clock(self):
        """The shared 24/7 calendar belongs to no company, so any company's printer gets it."""
        printer = self._printer()
        self.assertEqual(
            printer.resource_calendar_id, self.env.ref("odm_mrp.resource_calendar_24_7")
        )

    def test_quotes_route_and_promise_from_their_own_company(self):
        """A manager with the first company active sees the second company's quote routed
        through that company's template and promised on its calendar (8 days, weekends
        included), not on the first company's working week."""
        self._printer()
        order = self.env["sale.order"].create(
            {"partner_id": self.second.partner_id.id, "company_id": self.second.id}
        )
        order.with_company(self.second)._odm_add_uploads(
            [("bracket.stl", box_stl(40, 30, 20))], self.fdm, 3, material=self.pla
        )
        quote = order.order_line.odm_quote_id
        templates = self.env["odm.routing.template"]
        for active in (self.main, self.second):
            with self.subTest(active=active.name):
                context = self._both_companies(active)
                self.assertEqual(
                    templates.with_context(**context)._for_process(self.fdm), self.template
                )
                # Every day is a working day: the lead time's days follow today's.
                calendar = self.second.resource_calendar_id
                expected = fields.Date.context_today(
                    quote.with_context(tz=calendar.tz)
                ) + timedelta(days=quote.lead_time_days)
                self.assertEqual(quote.with_context(**context)._odm_promised_date(), expected)

from datetime import date, datetime

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestLeadTimePromise(TransactionCase):
    """A lead time of N working days starts on the working day after the order, in the shop's
    time zone, and skips its public holidays."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Monday to Friday, 8:00 to 17:00 in Brussels (the default attendances).
        cls.calendar = cls.env["resource.calendar"].create(
            {"name": "Test working week", "tz": "Europe/Brussels"}
        )
        cls.quotes = cls.env["odm.part.quote"]

    def _end(self, days, now):
        return self.quotes._odm_lead_time_end(self.calendar, days, now)

    def test_the_order_day_is_not_a_working_day_of_the_lead_time(self):
        """Ordered on Monday 2 March 2026, in the morning or the evening, 5 working days end on
        Monday 9 March, not on the Friday of the same week."""
        for now in (datetime(2026, 3, 2, 7, 0), datetime(2026, 3, 2, 20, 0)):
            with self.subTest(now=now):
                self.assertEqual(self._end(5, now), date(2026, 3, 9))

    def test_weekend_orders_start_on_monday(self):
        self.assertEqual(self._end(5, datetime(2026, 3, 6, 10, 0)), date(2026, 3, 13))
        self.assertEqual(self._end(5, datetime(2026, 3, 7, 10, 0)), date(2026, 3, 13))
        self.assertEqual(self._end(1, datetime(2026, 3, 6, 10, 0)), date(2026, 3, 9))

    def test_the_day_is_the_shops_local_day(self):
        """Sunday 23:30 UTC is already Monday in Brussels: Monday is the order day."""
        self.assertEqual(self._end(5, datetime(2026, 3, 1, 23, 30)), date(2026, 3, 9))

    def test_public_holidays_are_skipped(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": self.calendar.id,
                "date_from": datetime(2026, 3, 3, 23, 0),
                "date_to": datetime(2026, 3, 4, 22, 59),
            }
        )
        self.assertEqual(self._end(5, datetime(2026, 3, 2, 7, 0)), date(2026, 3, 10))

    def test_no_lead_time_is_today(self):
        self.assertEqual(self._end(0, datetime(2026, 3, 2, 7, 0)), date(2026, 3, 2))

    def test_around_the_clock_days_end_at_midnight(self):
        """A 24 h working day ends at the next midnight, yet it is still that day."""
        around_the_clock = self.env.ref("odm_mrp.resource_calendar_24_7").copy({"tz": "UTC"})
        self.assertEqual(
            self.quotes._odm_lead_time_end(around_the_clock, 8, datetime(2026, 3, 2, 7, 0)),
            date(2026, 3, 10),
        )

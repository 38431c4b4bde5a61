from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models


class OdmPartQuote(models.Model):
    _inherit = "odm.part.quote"

    def _odm_capable_machines(self):
        """Machines that can make this quote's part: its process and material, and room for it
        unless a manager accepted a part no machine holds (e.g. printed in halves and bonded)."""
        self.ensure_one()
        return self.env["odm.machine"]._for_part(
            self.part_id,
            self.process_id,
            self.material_id,
            # The planner asks as a production manager, who may not read the sales line.
            check_size=not self.sudo().sale_line_id.odm_dfm_override,
        )

    def _odm_supply_issue(self):
        """Why nobody can make this quote's part as quoted, in words ("" when someone can).

        The shop's own active machines decide (the catalogue's machine types only price); a
        quote that no machine of ours can make is a review for a person, never a promise.
        """
        self.ensure_one()
        if self._odm_capable_machines():
            return ""
        process, material, part = self.process_id, self.material_id, self.part_id
        machines = self.env["odm.machine"].search([("process_id", "=", process.id)])
        running = machines.filtered(lambda machine: material in machine.material_ids)
        if not machines:
            return self.env._("The shop has no %(process)s machine.", process=process.name)
        if not running:
            return self.env._(
                "No %(process)s machine of the shop runs %(material)s.",
                process=process.name,
                material=material.name,
            )
        largest = max(running, key=lambda machine: machine.build_x_mm * machine.build_y_mm)
        return self.env._(
            "%(part)s (%(size)s) fits no %(process)s machine of the shop running %(material)s; "
            "the largest, %(machine)s, holds %(x).0f × %(y).0f × %(z).0f mm.",
            part=part.name,
            size=part.dimensions,
            process=process.name,
            material=material.name,
            machine=largest.name,
            x=largest.build_x_mm,
            y=largest.build_y_mm,
            z=largest.build_z_mm,
        )

    def _odm_promised_date(self):
        """The date production can keep if this quote were confirmed now: the later of its
        delivery option's date and the earliest finish the live plan allows (machines that can
        run now, their load and calendars, the material); False when nobody can make it."""
        self.ensure_one()
        # Reads machines, the plan, calendars and stock, which a salesperson or a customer may
        # not see; writes nothing.
        quote = self.sudo()
        if quote._odm_supply_issue():
            return False
        company = quote.part_id.company_id or self.env.company
        tier_date = self._odm_lead_time_end(
            company.resource_calendar_id, quote.lead_time_days, fields.Datetime.now()
        )
        promised = tier_date or fields.Date.context_today(self)
        finish = self.env["sale.order.line"].sudo()._odm_earliest_finish(quote)
        if finish:
            promised = max(promised, fields.Date.context_today(self, finish))
        return promised

    @api.model
    def _odm_lead_time_end(self, calendar, days, now):
        """The working day a lead time of ``days`` working days ends on, counted from the
        working day after ``now`` (UTC, naive): the day of the order is not one of them, as a
        customer reads "5 working days" and as Odoo counts a customer lead time (order date +
        N days). Ordered on a Monday, at any hour, 5 working days end on the next Monday.
        False when the calendar has no such day."""
        tz = pytz.timezone(calendar.tz or "UTC")
        today = pytz.utc.localize(now).astimezone(tz).date()
        if days <= 0:
            return today
        next_day = tz.localize(datetime.combine(today + timedelta(days=1), time.min))
        end = calendar.plan_days(days, next_day.astimezone(pytz.utc), compute_leaves=True)
        # The end of the last working interval: one ending at midnight (a 24 h calendar) ends
        # the day before it.
        return end and (end.astimezone(tz) - timedelta(seconds=1)).date()

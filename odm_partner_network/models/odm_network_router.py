from datetime import datetime, time

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount

from odm_engine.network import routing
from odm_engine.network.federation_client import PartnerRefused, PartnerUnavailable

# Manufacturing orders and work orders that may still go to a partner: nothing done on them yet.
OFFLOADABLE_PRODUCTION_STATES = ("confirmed",)
OFFLOADABLE_WORKORDER_STATES = ("pending", "waiting", "ready")


class OdmNetworkRouter(models.AbstractModel):
    """Glue between Odoo records and ``engine.routing``: builds the work request of a
    manufacturing order (or one of its operations) and the candidates (our shop and every
    partner with an agreement in force), ranks them, and places the work with a partner."""

    _name = "odm.network.router"
    _description = "Make-or-Buy Router"

    # ------------------------------------------------------------------ inputs
    @api.model
    def _rules(self, company=None):
        company = company or self.env.company
        return routing.Rules(
            offload_within_pct=company.odm_offload_within_pct,
            auto_offload=company.odm_auto_offload,
            min_on_time_rate=company.odm_min_on_time_pct / 100,
            max_reject_rate=company.odm_max_reject_pct / 100,
            shipping_cost_per_km=company.odm_shipping_cost_per_km,
            max_distance_km=company.odm_max_distance_km or None,
            late_penalty_pct_per_day=company.odm_late_penalty_pct_per_day,
        )

    @api.model
    def _location(self, partner):
        return (partner.odm_latitude, partner.odm_longitude)

    @api.model
    def _work_request(self, production, workorder=None):
        """The engine's request for an order, or for one operation of it (a round trip)."""
        quote = production.bom_id.odm_quote_id
        if not quote:
            raise UserError(
                self.env._(
                    "%(order)s is not a quoted part: make-or-buy needs the process, material "
                    "and size of its quote.",
                    order=production.name,
                )
            )
        part = quote.part_id
        # Production people may not read sales; the ranking needs only the line's amount, date
        # and delivery address.
        sale_line = production.sudo().sale_line_id
        due = production.date_deadline or sale_line.order_id.commitment_date
        if not due:
            raise UserError(
                self.env._(
                    "%(order)s has no deadline: set one to compare promised dates.",
                    order=production.name,
                )
            )
        company = production.company_id
        home = self._location(company.partner_id)
        if workorder:
            work, ship_to = workorder, home
        else:
            work = production.workorder_ids.filtered(lambda wo: wo.state not in ("done", "cancel"))
            customer = sale_line.order_id.partner_shipping_id
            ship_to = self._location(customer) if any(self._location(customer)) else home
        planned_finish = max(work.mapped("date_finished"), default=False)
        can_make = planned_finish and not production.odm_plan_issue
        return routing.WorkRequest(
            key=workorder.display_name if workorder else production.name,
            process=quote.process_id.code,
            quantity=max(1, round(production.product_qty)),
            due=fields.Date.to_date(due),
            value=self._value(production, sale_line, quote),
            ship_to=ship_to,
            envelope_mm=(part.size_x_mm, part.size_y_mm, part.size_z_mm),
            machine_hours=sum(work.mapped("duration_expected")) / 60,
            material=quote.material_id.code,
            finish=quote.finish_id.code or None,
            needs_geometry=not workorder,
            confidential=part.odm_confidential,
            round_trip=bool(workorder),
            in_house_cost=self._in_house_cost(production, work, not workorder)
            if can_make
            else None,
            in_house_finish=planned_finish.date() if can_make else None,
        )

    @api.model
    def _value(self, production, sale_line, quote):
        """What the customer pays for the order's parts (its sale line's share)."""
        if sale_line.product_uom_qty:
            return sale_line.price_subtotal * production.product_qty / sale_line.product_uom_qty
        return quote.total_price * production.product_qty / quote.quantity

    @api.model
    def _in_house_cost(self, production, work, with_components):
        """Our cost: the work centers' hours of the work, plus, for a whole order, the
        components it has still to consume."""
        hours = sum(wo.duration_expected / 60 * wo.workcenter_id.costs_hour for wo in work)
        if not with_components:
            return hours
        components = sum(
            move.product_id.standard_price * move.product_qty
            for move in production.move_raw_ids
            if move.state not in ("done", "cancel")
        )
        return components + hours

    @api.model
    def _partners(self, company):
        return self.env["res.partner"].search(
            [
                ("odm_is_manufacturer", "=", True),
                ("id", "!=", company.partner_id.id),
                ("company_id", "in", (False, company.id)),
            ]
        )

    @api.model
    def _candidates(self, company, currency):
        """(candidates, partner by candidate key, [(partner, reason)] left out before ranking)."""
        house = company.partner_id
        candidates = [
            routing.Candidate(key=company.name, location=self._location(house), in_house=True)
        ]
        by_key, left_out = {}, []
        for partner in self._partners(company):
            agreement = partner.odm_agreement_id
            if not agreement:
                left_out.append((partner, self.env._("no network agreement in force")))
                continue
            key = partner.name if partner.name not in by_key else f"{partner.name} #{partner.id}"
            by_key[key] = partner
            candidates.append(self._candidate(partner, key, agreement, currency))
        return candidates, by_key, left_out

    @api.model
    def _candidate(self, partner, key, agreement, currency):
        return routing.Candidate(
            key=key,
            location=self._location(partner),
            capabilities={
                capability.process_id.code: routing.Capability(
                    max_envelope_mm=(capability.max_x_mm, capability.max_y_mm, capability.max_z_mm),
                    tolerance_mm=capability.tolerance_mm,
                    materials=frozenset(capability.material_ids.mapped("code")),
                    finishes=frozenset(capability.finish_ids.mapped("code")),
                )
                for capability in partner.odm_capability_ids
            },
            certifications=frozenset(partner.odm_certification_ids.mapped("code")),
            rates={
                (rate.process_id.code, rate.material_id.code or None): routing.Rate(
                    *rate._odm_prices(currency)
                )
                for rate in partner.odm_rate_ids
            },
            capacity={
                capacity.process_id.code: routing.Capacity(
                    free_hours_per_day=capacity.free_hours_per_day,
                    next_free=capacity.next_free_date,
                )
                for capacity in partner.odm_capacity_ids
                if capacity.free_hours_per_day > 0 and capacity.next_free_date
            },
            lead_days=agreement.lead_days,
            quality=partner._odm_quality_history(),
            agreement=routing.Agreement(
                sharing=agreement.sharing_level,
                nda=agreement.nda_signed,
                commission_pct=agreement.commission_pct,
            ),
        )

    # ------------------------------------------------------------------ ranking
    @api.model
    def rank(self, production, workorder=None):
        """The ranking and the rules' decision for an order or one operation of it.

        Returns (ranking, decision, partner by candidate key, [(partner, reason)] left out).
        """
        company = production.company_id
        try:
            request = self._work_request(production, workorder)
            candidates, by_key, left_out = self._candidates(company, company.currency_id)
            rules = self._rules(company)
            ranking = routing.rank([request], candidates, rules, fields.Date.context_today(self))[0]
        except routing.RoutingError as error:
            raise UserError(
                self.env._(
                    "%(order)s cannot be ranked: %(error)s", order=production.name, error=error
                )
            ) from error
        return ranking, routing.decide(ranking, rules), by_key, left_out

    # ------------------------------------------------------------------ offloading
    @api.model
    def offload(self, production, workorder, attempts):
        """Places the work with the first partner of ``attempts`` that takes it.

        ``attempts``: [(partner, engine Option)], best first. Each attempt runs in a savepoint:
        a partner whose federation server is unavailable or refuses the order leaves nothing
        behind, the reason is posted on the order and the next partner is tried. Returns the
        purchase order.
        """
        if not attempts:
            raise UserError(
                self.env._("No partner to offload %(order)s to.", order=production.name)
            )
        for partner, option in attempts:
            try:
                with self.env.cr.savepoint():
                    return self._place(production, workorder, partner, option)
            except (PartnerUnavailable, PartnerRefused) as error:
                self.env.invalidate_all()
                production.message_post(
                    body=self.env._(
                        "%(partner)s could not take %(work)s, trying the next option: %(error)s",
                        partner=partner.name,
                        work=workorder.display_name if workorder else production.name,
                        error=error,
                    )
                )
        raise UserError(
            self.env._(
                "No partner could take %(order)s: each was unavailable or refused it (see the "
                "chatter).",
                order=production.name,
            )
        )

    @api.model
    def _place(self, production, workorder, partner, option):
        if workorder:
            purchase = workorder._odm_purchase_operation(partner, option)
        else:
            purchase = production._odm_purchase_production(partner, option)
        purchase._odm_share_part(production.bom_id.odm_quote_id, production.product_qty)
        work = workorder.display_name if workorder else production.name
        if purchase.state == "draft":
            body = self.env._(
                "%(work)s: request for quotation %(purchase)s sent to %(partner)s, as its "
                "agreement asks; the work is handed over when it is confirmed. %(explanation)s",
                work=work,
                purchase=purchase.name,
                partner=partner.name,
                explanation=option.explanation,
            )
        else:
            purchase._odm_send_to_partner()
            body = self.env._(
                "%(work)s offloaded to %(partner)s on %(purchase)s: %(explanation)s",
                work=work,
                partner=partner.name,
                purchase=purchase.name,
                explanation=option.explanation,
            )
        loss = self._loss_warning(production, work, option)
        production.message_post(body=f"{body} {loss}" if loss else body)
        if loss:
            purchase.message_post(body=loss)
        return purchase

    @api.model
    def _loss_warnings(self, production, workorder, ranking):
        """One sentence with the numbers per option that costs more than the work sells for."""
        work = workorder.display_name if workorder else production.name
        warnings = (self._loss_warning(production, work, option) for option in ranking.options)
        return [warning for warning in warnings if warning]

    @api.model
    def _loss_warning(self, production, work, option):
        """A sentence with the numbers when ``option`` (ours or a partner's) costs more than
        the order sells for; empty when it does not."""
        # Production people may not read sales; only the line's amount is read.
        sale_line = production.sudo().sale_line_id
        value = self._value(production, sale_line, production.bom_id.odm_quote_id)
        cost = option.cost + option.shipping_cost
        if cost <= value:
            return ""
        currency = production.company_id.currency_id
        amounts = {
            "work": work,
            "cost": format_amount(self.env, cost, currency),
            "price": format_amount(self.env, value, currency),
            "loss": format_amount(self.env, cost - value, currency),
        }
        if option.in_house:
            return self.env._(
                "Warning: our cost of %(cost)s for %(work)s is above its sale price of "
                "%(price)s (a loss of %(loss)s).",
                **amounts,
            )
        return self.env._(
            "Warning: %(candidate)s's price of %(cost)s (shipping included) for %(work)s is "
            "above its sale price of %(price)s (a loss of %(loss)s).",
            candidate=option.candidate,
            **amounts,
        )

    @api.model
    def _date_planned(self, option):
        return datetime.combine(option.promised, time(12))

    @api.model
    def _attempts(self, ranking, by_key, first_key=None):
        """Partner options to try: ``first_key`` (else the best partner), then every other
        partner that is on time, in rank order."""
        options = [option for option in ranking.options if not option.in_house]
        first = next((o for o in options if o.candidate == first_key), None) if first_key else None
        if first is None and first_key:
            raise UserError(self.env._("%(key)s is not an option.", key=first_key))
        ordered = [first] if first else options[:1]
        ordered += [o for o in options if o not in ordered and o.late_days <= 0]
        return [(by_key[option.candidate], option) for option in ordered]

    # ------------------------------------------------------------------ automation
    @api.model
    def action_route_late_orders(self):
        decisions = self.route_late_orders()
        offloaded = sum(1 for decision in decisions.values() if decision.action == "offload")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Late orders routed"),
                "message": self.env._(
                    "%(count)s late orders ranked, %(offloaded)s offloaded; each order's chatter "
                    "says why.",
                    count=len(decisions),
                    offloaded=offloaded,
                ),
                "type": "success",
            },
        }

    @api.model
    def route_late_orders(self):
        """Ranks every unstarted order of a quoted part with a deadline; those in-house would
        deliver late go where the rules say, and their chatter says what was decided and why.
        Returns {late order: decision}."""
        productions = self.env["mrp.production"].search(
            [
                ("state", "in", OFFLOADABLE_PRODUCTION_STATES),
                ("date_deadline", "!=", False),
                ("bom_id.odm_quote_id", "!=", False),
            ]
        )
        decisions = {}
        for production in productions:
            try:
                ranking, decision, by_key, _left_out = self.rank(production)
                if decision.action == "in_house":
                    continue
                decisions[production] = decision
                if decision.action == "offload":
                    self.offload(
                        production, None, self._attempts(ranking, by_key, decision.candidate)
                    )
                else:
                    production.message_post(
                        body=self.env._("Route late orders: %(reason)s", reason=decision.reason)
                    )
            except UserError as error:
                production.message_post(
                    body=self.env._("Route late orders could not route it: %(error)s", error=error)
                )
        return decisions

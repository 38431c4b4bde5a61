"""Isolation: a company's records stay within it, and cost tables stay with the staff.

Every ``odm.*`` model that holds a company's data has a rule limiting it to the user's allowed
companies; a user of another company counts none of them. Portal users (customers, partner
shops) cannot read the parameters a price was computed from or the shop's material costs.
"""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from .common import PartCase, box_stl

# Models that hold no company's data: technical tables and shared catalogues.
SHARED_MODELS = {
    "odm.certification",  # a public list of certification standards
    "odm.federation.nonce",  # replay protection, keyed by peer
    "odm.federation.idempotency",  # idempotency keys, keyed by peer
    "odm.request.quota",  # throttling counters, keyed by caller; system administrators only
}
ODM_GROUPS = (
    "odm_quote.group_odm_quote_manager",
    "odm_mrp.group_odm_production_manager",
    "odm_partner_network.group_odm_network_manager",
    "odm_machine_link.group_odm_machine_manager",
)


@tagged("post_install", "-at_install")
class TestCompanyRules(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Another Shop Ltd"})
        groups = [cls.env.ref(xmlid, raise_if_not_found=False) for xmlid in ODM_GROUPS]
        cls.outsider = cls.env["res.users"].create(
            {
                "name": "Manager of another shop",
                "login": "odm-other-shop-manager",
                "company_id": cls.other_company.id,
                "company_ids": [Command.set(cls.other_company.ids)],
                "groups_id": [Command.link(g.id) for g in groups if g]
                + [Command.link(cls.env.ref("base.group_user").id)],
            }
        )

    def _company_models(self):
        models = self.env["ir.model"].search(
            [("model", "=like", "odm.%"), ("transient", "=", False)]
        )
        return [
            m for m in models if m.model not in SHARED_MODELS and not self.env[m.model]._abstract
        ]

    def test_every_model_holding_company_data_has_a_company_rule(self):
        missing = []
        for model in self._company_models():
            rules = (
                self.env["ir.rule"]
                .sudo()
                .search([("model_id", "=", model.id), ("global", "=", True)])
            )
            if not any("company_ids" in (rule.domain_force or "") for rule in rules):
                missing.append(model.model)
        self.assertFalse(missing, f"models without a company rule: {missing}")

    def test_another_company_counts_none_of_ours(self):
        """Each rule, counted: what this company has is invisible to the other one."""
        checked = 0
        for model in self._company_models():
            records = self.env[model.model].sudo().with_context(active_test=False)
            ours = records.search([])
            shared = ours.filtered(lambda r, m=model.model: not self._company_of(r, m))
            try:
                seen = records.with_user(self.outsider).sudo(False).search([])
            except AccessError:
                continue  # no read access at all is isolation too
            self.assertEqual(
                set(seen.ids), set(shared.ids), f"{model.model}: another company sees our records"
            )
            checked += bool(ours - shared)
        self.assertGreater(checked, 5, "the demo data should give most models records to hide")

    def _company_of(self, record, model):
        rules = (
            self.env["ir.rule"]
            .sudo()
            .search([("model_id.model", "=", model), ("global", "=", True)])
        )
        for rule in rules:
            domain = rule.domain_force or ""
            if "company_ids" not in domain:
                continue
            path = domain.split("('", 2)[1].split("'", 1)[0]  # e.g. process_id.company_id
            value = record
            for name in path.split("."):
                value = value[name]
            return value
        return False


class TestCostTablesStayWithStaff(PartCase):
    def test_portal_cannot_read_price_parameters_or_material_costs(self):
        portal = self.env["res.users"].create(
            {
                "name": "Customer buyer",
                "login": "odm-isolation-portal",
                "groups_id": [Command.set([self.env.ref("base.group_portal").id])],
            }
        )
        self.upload({"bracket.stl": box_stl(40, 30, 20)})
        line = self.order.order_line.filtered("odm_quote_id")
        quote = line.odm_quote_id
        line.odm_part_id.partner_id = portal.partner_id
        self.assertTrue(quote.with_user(portal).read(["unit_price"]))
        with self.assertRaises(AccessError):
            quote.with_user(portal).read(["parameters"])
        with self.assertRaises(AccessError):
            self.env.ref("odm_quote.material_pla").with_user(portal).read(["price_per_kg"])
        with self.assertRaises(AccessError):
            self.env.ref("odm_quote.process_fdm").with_user(portal).read(["calibration"])

"""Every customer request has an owner: salesperson, activities, e-mails (over real HTTP)."""

from odoo.tests import new_test_user, tagged

from .common import box_stl
from .test_odm_portal import PortalCase


@tagged("post_install", "-at_install")
class TestRequestOwner(PortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sam = new_test_user(
            cls.env,
            login="odm_sales_sam",
            groups="sales_team.group_sale_salesman",
            email="sam@example.com",
        )
        cls.quoting_manager = new_test_user(
            cls.env,
            login="odm_quoting_max",
            groups="odm_quote.group_odm_quote_manager",
            email="max@example.com",
        )
        cls.team = cls.env["crm.team"].create({"name": "Web requests"})
        cls.env.company.write(
            {
                "odm_request_owner_rule": "default",
                "odm_request_user_id": cls.sam.id,
                "odm_request_team_id": cls.team.id,
            }
        )
        cls.request_type = cls.env.ref("odm_quote.mail_activity_type_quote_request")
        cls.review_type = cls.env.ref("odm_quote.mail_activity_type_dfm_review")

    def request(self, files):
        order = self.make_cart(self.ada, files)
        self.login(self.ada)
        response = self.post("/odm/quote/request", {"order_id": order.id})
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        return order

    def activities(self, order, activity_type):
        return order.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)

    def customer_mails(self, order, subject):
        return order.message_ids.filtered(
            lambda m: subject in (m.subject or "") and self.ada.partner_id in m.notified_partner_ids
        )

    def test_a_request_gets_an_owner_an_activity_and_emails(self):
        order = self.request({"lid.stl": box_stl(60, 40, 3)})
        self.assertEqual((order.user_id, order.team_id), (self.sam, self.team))
        self.assertIn(self.sam.partner_id, order.message_partner_ids)
        activity = self.activities(order, self.request_type)
        self.assertEqual(activity.user_id, self.sam)
        self.assertFalse(self.activities(order, self.review_type), "nothing to review")
        # The activity's assignment notifies Sam by e-mail.
        notified = self.env["mail.message"].search(
            [
                ("model", "=", "sale.order"),
                ("res_id", "=", order.id),
                ("message_type", "=", "user_notification"),
            ]
        )
        self.assertIn(self.sam.partner_id, notified.notified_partner_ids)
        self.assertTrue(self.customer_mails(order, "is ready"), "quotation ready e-mail")
        self.assertFalse(self.customer_mails(order, "we received"))
        # Unowned requests are not hidden either: "My Quotations" lists them.
        arch = self.env.ref("sale.sale_order_view_search_inherit_quotation").get_combined_arch()
        self.assertIn("('user_id', '=', False)", arch)

    def test_the_customers_salesperson_owns_it_by_the_customer_rule(self):
        kim = new_test_user(
            self.env, login="odm_sales_kim", groups="sales_team.group_sale_salesman"
        )
        self.acme.user_id = kim
        self.env.company.odm_request_owner_rule = "customer"
        self.assertEqual(self.request({"lid.stl": box_stl(60, 40, 3)}).user_id, kim)

    def test_without_a_default_salesperson_a_quoting_manager_owns_it(self):
        self.assertFalse(self.team.user_id | self.team.member_ids)
        self.env.company.odm_request_user_id = False
        order = self.request({"lid.stl": box_stl(60, 40, 3)})
        self.assertIn(order.user_id, order._odm_quoting_managers())
        self.assertEqual(self.activities(order, self.request_type).user_id, order.user_id)

    def test_blocked_parts_ask_the_quoting_managers_and_the_page_says_so(self):
        before = self.env["mail.activity"].search_count(
            [("activity_type_id", "=", self.review_type.id)]
        )
        order = self.request({"beam.stl": box_stl(2000, 20, 20)})
        self.assertTrue(order.odm_blocked)
        reviews = self.activities(order, self.review_type)
        managers = order._odm_quoting_managers()
        self.assertIn(self.quoting_manager, managers)
        self.assertEqual(reviews.user_id, managers)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("activity_type_id", "=", self.review_type.id)]
            ),
            before + len(managers),
        )
        self.assertIn("beam.stl", reviews[0].note)
        self.assertTrue(self.customer_mails(order, "we received"))
        self.assertFalse(self.customer_mails(order, "is ready"), "not ready: under review")
        page = self.url_open(order.get_portal_url()).text
        self.assertIn("Our team has been asked to review them", page)
        # The review is done: the activities are closed and the customer is told.
        wizard = (
            self.env["odm.dfm.override.wizard"]
            .with_user(self.quoting_manager)
            .create({"order_id": order.id, "reason": "We print it in two halves."})
        )
        wizard.action_override()
        self.env.invalidate_all()
        self.assertFalse(self.activities(order, self.review_type))
        self.assertTrue(self.customer_mails(order, "is ready"))

    def test_a_blocked_quotation_nobody_reviews_promises_nothing(self):
        order = self.make_cart(self.ada, {"beam.stl": box_stl(2000, 20, 20)})
        order.write({"odm_portal_cart": False, "state": "sent"})
        self.login(self.ada)
        page = self.url_open(order.get_portal_url()).text
        self.assertIn("odm_blocked_notice", page)
        self.assertNotIn("will contact you", page)
        self.assertIn("Please contact us", page)

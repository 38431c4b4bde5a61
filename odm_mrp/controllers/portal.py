"""The customer's order tracking page.

    GET /my/orders/<id>/tracking[?access_token=...]   each part's progress and the promise

The order is found through Odoo's portal access check (the customer's own orders, or any
order with its access token, as /my/orders/<id>); any other id, and an order that is not
confirmed, give 404. The page is rendered from plain values (``odm.order.tracking``) and the
promise's history, never from manufacturing records themselves.
"""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class OrderTrackingPortal(CustomerPortal):
    @http.route("/my/orders/<int:order_id>/tracking", type="http", auth="public", website=True)
    def portal_odm_order_tracking(self, order_id, access_token=None, **_kwargs):
        try:
            order = self._document_check_access("sale.order", order_id, access_token)
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        if not order._odm_is_trackable():
            raise NotFound()
        values = self._prepare_portal_layout_values()
        values.update(
            tracked_order=order,
            page_name="odm_order_tracking",
            rows=request.env["odm.order.tracking"]._part_rows(order),
            promised_date=order._odm_customer_promise(),
            promise_changes=order.odm_promise_change_ids,
            order_url=order.get_portal_url(),
        )
        return request.render("odm_mrp.portal_order_tracking", values)

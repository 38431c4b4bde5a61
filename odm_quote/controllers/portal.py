"""Customer portal of instant quoting: upload parts, a cart of priced parts, the parts library.

    GET  /odm/quote                      upload form, instant prices and the customer's cart
    POST /odm/quote/upload               files -> priced parts (cart lines, or a preview for
                                         visitors who are not logged in)
    POST /odm/quote/line/<id>            change quantity, process, material, finish, lead time
    POST /odm/quote/line/<id>/remove     remove a part from the cart
    POST /odm/quote/request              the cart becomes a quotation under My quotations
    GET  /my/parts, /my/parts/page/<n>   parts library of the customer's company
    GET  /my/parts/<id>                  one part: measurements, manufacturability, its prices
    GET  /my/parts/<id>/thumbnail        its picture
    POST /my/parts/<id>/order            order again: a cart line with the part's last options

Uploads and re-pricings count against the caller's quota (odm.request.quota, Settings >
On-Demand Manufacturing > Throttling): over it, the quote page says when to try again, with
HTTP 429 and Retry-After, and nothing is analysed or stored.

Visitors who are not logged in may quote only when the company allows it (Settings >
On-Demand Manufacturing > Instant quotes > Public instant quotes), at most MAX_PUBLIC_PARTS
parts at a time; their files are analysed and priced in memory and nothing of theirs is
stored. Logged-in customers get parts of their commercial partner and a cart, a draft sales
order flagged ``odm_portal_cart``.

Portal users cannot write sales orders, parts or quotes: those records are written with sudo,
and only after the record was found among the caller's own (their cart, their company's parts)
through Odoo's portal access check. Any other id gives 404 and changes nothing.
"""

import functools
import json

from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools import float_round, format_amount
from odoo.tools.image import image_data_uri

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.odm_part import FileRefusal, UploadRefusedError
from ..models.odm_request_options import UNITS
from ..models.odm_request_quota import QuotaExceededError
from ..models.sale_order_line import customer_findings
from .uploads import read_uploads

QUOTE_URL = "/odm/quote"
PARTS_URL = "/my/parts"
# Visitors without an account share the quoting workers: their uploads are kept small.
MAX_PUBLIC_PARTS = 10
FLASH_KEY = "odm_portal_flash"
REFUSED_KEY = "odm_portal_refused"


class FormError(Exception):
    """A form value the page cannot use; the message is shown to the customer."""


class OdmQuotePortal(CustomerPortal):
    # ------------------------------------------------------------------ portal home
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "odm_part_count" in counters:
            parts = request.env["odm.part"]
            values["odm_part_count"] = (
                parts.search_count(self._odm_parts_domain()) if parts.has_access("read") else 0
            )
        return values

    def _get_page_view_values(self, document, access_token, values, session_history, *args, **kw):
        """A quotation's page shows its 3D parts with the cart's card: what the card needs."""
        values = super()._get_page_view_values(
            document, access_token, values, session_history, *args, **kw
        )
        if document._name == "sale.order":
            values.update(
                odm_delivery_options=self._odm_delivery_options,
                odm_customer_findings=customer_findings,
                odm_thumbnail_url=self._odm_thumbnail_url,
            )
        return values

    @staticmethod
    def _odm_thumbnail_url(part):
        """The part's picture inline: the page may be opened with the order's access token by
        someone who cannot open /my/parts."""
        thumbnail = part.sudo().thumbnail
        return image_data_uri(thumbnail) if thumbnail else "/web/static/img/placeholder.png"

    # ------------------------------------------------------------------ upload and cart
    @http.route(QUOTE_URL, type="http", auth="public", methods=["GET"], website=True)
    def odm_quote_page(self, **_kwargs):
        if self._odm_login_required():
            return self._odm_login_redirect()
        return self._odm_render_quote_page()

    @http.route(f"{QUOTE_URL}/upload", type="http", auth="public", methods=["POST"], website=True)
    def odm_quote_upload(self, **form):
        """Each file is quoted or refused on its own: the good parts are priced (a visitor's
        shown, a customer's added to the cart), the refused files listed with their reasons.
        A throttled request, bad options or an upload refused as a whole quote nothing."""
        if self._odm_login_required():
            return self._odm_login_redirect()
        try:
            options = self._odm_options(form)
            uploads, refused = self._odm_uploads()
            self._odm_admit(uploads)
            previews, lines, failed = [], request.env["sale.order.line"], []
            if uploads and request.env.user._is_public():
                previews, failed = self._odm_preview(uploads, options)
            elif uploads:
                lines, failed = self._odm_add_to_cart(uploads, options)
        except QuotaExceededError as error:
            return self._odm_throttled(error, form)
        except FormError as error:
            return self._odm_render_quote_page(errors=[str(error)], form=form, status=422)
        except UploadRefusedError as error:
            return self._odm_render_quote_page(errors=error.reasons, form=form, status=422)
        except UserError as error:  # OdmRequestError: an option the shop cannot accept
            return self._odm_render_quote_page(errors=[error.args[0]], form=form, status=422)
        refused = [*refused, *failed]

        if request.env.user._is_public():
            return self._odm_render_quote_page(
                previews=previews, refused=refused, form=form, status=200 if previews else 422
            )
        if not lines:
            return self._odm_render_quote_page(refused=refused, form=form, status=422)
        names = lines.odm_part_id.mapped("name")
        parts = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        self._odm_flash(
            "success",
            request.env._("1 part priced and added to your cart: %(parts)s.", parts=parts)
            if len(lines) == 1
            else request.env._(
                "%(count)s parts priced and added to your cart: %(parts)s.",
                count=len(lines),
                parts=parts,
            ),
        )
        request.session[REFUSED_KEY] = [list(refusal) for refusal in refused]
        return request.redirect(f"{QUOTE_URL}#odm_line_{lines[:1].id}")

    def _odm_add_to_cart(self, uploads, options):
        """(cart lines of the good parts, refused files); the cart is created only if at
        least one file becomes a priced part."""
        with request.env.cr.savepoint() as savepoint:
            cart = self._odm_cart(create=True)
            lines, refused = cart._odm_add_each_upload(
                uploads, unit=options.unit, **options.as_kwargs()
            )
            if not lines:
                savepoint.close(rollback=True)
        return lines, refused

    @http.route(
        f"{QUOTE_URL}/line/<int:line_id>", type="http", auth="user", methods=["POST"], website=True
    )
    def odm_quote_line_update(self, line_id, **form):
        def change(line):
            options = self._odm_options(form)
            line.write(
                {
                    "product_uom_qty": options.quantity,
                    "odm_process_id": options.process.id,
                    "odm_material_id": options.material.id,
                    "odm_finish_id": options.finish.id,
                    "odm_lead_time_id": options.lead_time.id,
                }
            )

        return self._odm_cart_line_post(
            line_id,
            change,
            lambda line: request.env._(
                "%(part)s re-priced: %(price)s per part.",
                part=line.odm_part_id.name,
                price=self._odm_money(line.price_unit, line.currency_id),
            ),
        )

    def _odm_cart_line_post(self, line_id, change, saved):
        """``_odm_cart_post`` for a part line of the caller's cart, changed by
        ``change(line)``: back to the line whether the change is kept or refused."""
        line = self._odm_cart_line(line_id)

        def change_line():
            change(line)
            return line

        return self._odm_cart_post(change_line, saved, f"{QUOTE_URL}#odm_line_{line.id}")

    def _odm_cart_post(self, change, saved, refused_url):
        """What every POST that changes the caller's cart does around its ``change()``, which
        gives back the part line changed or added: the request counted against the quota (the
        page with 429 over it); the change made in a savepoint, its UserError flashed with
        nothing kept and back to ``refused_url``, else the message ``saved(line)`` flashed and
        back to the line on the quote page."""
        try:
            self._odm_admit()
        except QuotaExceededError as error:
            return self._odm_throttled(error)
        try:
            with request.env.cr.savepoint():
                line = change()
        except UserError as error:
            self._odm_flash("danger", error.args[0])
            return request.redirect(refused_url)
        self._odm_flash("success", saved(line))
        return request.redirect(f"{QUOTE_URL}#odm_line_{line.id}")

    @http.route(f"{QUOTE_URL}/line/<int:line_id>/estimate", type="json", auth="user", readonly=True)
    def odm_quote_line_estimate(self, line_id):
        """Whether a part line's background slice landed (odm_estimate_poll.js asks)."""
        line = request.env["sale.order.line"].sudo().browse(line_id).exists()
        if not line:
            raise NotFound()
        self._odm_own_order(line.order_id.id)
        return line._odm_estimate_status()

    @http.route(
        f"{QUOTE_URL}/line/<int:line_id>/remove",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def odm_quote_line_remove(self, line_id, **_kwargs):
        line = self._odm_cart_line(line_id)
        name = line.odm_part_id.name
        line.unlink()
        self._odm_flash(
            "success",
            request.env._("%(part)s removed from your cart; it stays in your parts.", part=name),
        )
        return request.redirect(QUOTE_URL)

    @http.route(f"{QUOTE_URL}/request", type="http", auth="user", methods=["POST"], website=True)
    def odm_quote_request(self, order_id=None, **_kwargs):
        order = self._odm_own_order(order_id)
        cart = self._odm_cart()
        if order != cart:
            if order.partner_id == request.env.user.partner_id and order.state == "sent":
                return request.redirect(order.get_portal_url())  # requested already
            raise NotFound()
        if not cart.order_line.filtered("odm_part_id"):
            self._odm_flash(
                "danger", request.env._("Add at least one part before requesting a quotation.")
            )
            return request.redirect(QUOTE_URL)
        cart.odm_portal_cart = False
        cart.action_quotation_sent()
        cart.message_post(
            body=request.env._("Quotation requested on the customer portal."),
            author_id=request.env.user.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        cart._odm_request_received()
        return request.redirect(cart.get_portal_url())

    # ------------------------------------------------------------------ parts library
    @http.route([PARTS_URL, f"{PARTS_URL}/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_odm_parts(self, page=1, sortby=None, search=None, **_kwargs):
        parts = request.env["odm.part"]
        sortings = {
            "date": {"label": request.env._("Newest"), "order": "create_date desc, id desc"},
            "name": {"label": request.env._("Name"), "order": "name, id"},
        }
        sortby = sortby if sortby in sortings else "date"
        domain = self._odm_parts_domain()
        if search:
            domain = [*domain, ("name", "ilike", search)]
        pager = portal_pager(
            url=PARTS_URL,
            url_args={"sortby": sortby, "search": search},
            total=parts.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        values = self._prepare_portal_layout_values()
        values.update(
            parts=parts.search(
                domain,
                order=sortings[sortby]["order"],
                limit=self._items_per_page,
                offset=pager["offset"],
            ),
            pager=pager,
            page_name="odm_parts",
            default_url=PARTS_URL,
            searchbar_sortings=sortings,
            sortby=sortby,
            searchbar_inputs={"name": {"input": "name", "label": request.env._("Search in names")}},
            search_in="name",
            search=search,
        )
        return request.render("odm_quote.portal_my_parts", values)

    @http.route(f"{PARTS_URL}/<int:part_id>", type="http", auth="user", website=True)
    def portal_my_odm_part(self, part_id, **_kwargs):
        part = self._odm_own_part(part_id)
        orders = part.sale_line_ids.order_id.filtered(lambda order: order.state in ("sent", "sale"))
        values = self._prepare_portal_layout_values()
        values.update(
            part=part,
            last_quote=part.quote_ids[:1],
            quotes=part.quote_ids[:10],
            # Only the orders the customer may open (Odoo's portal rule on sales orders).
            orders=request.env["sale.order"].search([("id", "in", orders.ids)]),
            page_name="odm_part",
            flash=self._odm_pop_flash(),
            odm_line_amounts=self._odm_line_amounts,
            odm_customer_findings=customer_findings,
        )
        return request.render("odm_quote.portal_my_part", values)

    @http.route(f"{PARTS_URL}/<int:part_id>/thumbnail", type="http", auth="user", readonly=True)
    def portal_my_odm_part_thumbnail(self, part_id, **_kwargs):
        part = self._odm_own_part(part_id)
        stream = request.env["ir.binary"]._get_image_stream_from(part, "thumbnail")
        return stream.get_response(max_age=3600)

    @http.route(
        f"{PARTS_URL}/<int:part_id>/order",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_odm_part_order(self, part_id, **_kwargs):
        part = self._odm_own_part(part_id)

        def add_line():
            options = self._odm_last_options(part.quote_ids[:1])
            cart = self._odm_cart(create=True)
            return cart._odm_add_part_lines(part, **options.as_kwargs())

        return self._odm_cart_post(
            add_line,
            lambda line: request.env._(
                "%(part)s added to your cart: %(quantity)s at %(price)s per part.",
                part=part.name,
                quantity=int(line.product_uom_qty),
                price=self._odm_money(line.price_unit, line.currency_id),
            ),
            f"{PARTS_URL}/{part.id}",
        )

    # ------------------------------------------------------------------ access helpers
    def _odm_login_required(self):
        return request.env.user._is_public() and not request.env.company.sudo().odm_public_upload

    def _odm_login_redirect(self):
        return request.redirect(f"/web/login?{url_encode({'redirect': QUOTE_URL})}")

    def _odm_admit(self, uploads=()):
        """Counts this request, and the part files of ``uploads``, against the caller's quota
        (Settings > ODM > Throttling): a visitor by IP address, a customer by company.
        QuotaExceededError when over it; nothing is then analysed or stored."""
        user = request.env.user
        if user._is_public():
            # Behind a reverse proxy, Odoo's --proxy-mode makes this the client's address.
            kind, subject = "visitor", request.httprequest.remote_addr
        else:
            kind, subject = "customer", user.partner_id.commercial_partner_id.id
        request.env["odm.request.quota"].sudo()._odm_admit(kind, subject, uploads)

    def _odm_throttled(self, error, form=None):
        """The quote page with the quota's message: HTTP 429 and when to try again."""
        return self._odm_render_quote_page(
            errors=[error.args[0]],
            form=form,
            status=429,
            headers={"Retry-After": str(error.retry_after)},
        )

    def _odm_parts_domain(self):
        return [("partner_id", "child_of", request.env.user.partner_id.commercial_partner_id.id)]

    def _odm_own_part(self, part_id):
        """The caller's part (sudo) through Odoo's portal access check, else 404."""
        try:
            part = self._document_check_access("odm.part", part_id)
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        # Internal users pass the access check for every part: the portal is about one's own.
        if not part.search_count([("id", "=", part.id), *self._odm_parts_domain()]):
            raise NotFound()
        return part

    def _odm_own_order(self, order_id):
        try:
            return self._document_check_access("sale.order", int(order_id))
        except (AccessError, MissingError, TypeError, ValueError) as error:
            raise NotFound() from error

    def _odm_cart(self, create=False):
        """The caller's cart (sudo): their draft order flagged as portal cart."""
        env = request.env
        partner = env.user.partner_id
        orders = env["sale.order"].sudo()
        cart = orders.search(
            [
                ("odm_portal_cart", "=", True),
                ("state", "=", "draft"),
                ("partner_id", "=", partner.id),
                ("company_id", "=", env.company.id),
            ],
            order="id desc",
            limit=1,
        )
        if not cart and create:
            cart = orders.create(
                {"partner_id": partner.id, "company_id": env.company.id, "odm_portal_cart": True}
            )
            # Following the order is what lets the customer read it (Odoo's portal rule).
            cart.message_subscribe(partner_ids=partner.ids)
        return cart

    def _odm_cart_line(self, line_id):
        """A part line of the caller's own cart (sudo), else 404."""
        line = self._odm_cart().order_line.filtered(
            lambda line: line.id == line_id and line.odm_part_id
        )
        if not line:
            raise NotFound()
        return line

    # ------------------------------------------------------------------ forms
    @staticmethod
    def _odm_catalogue():
        return request.env["odm.request.options"].catalogue()

    @staticmethod
    def _odm_option_lists(catalogue, selected):
        """What the options form offers for the ``selected`` process: its materials, the chosen
        one, and the finishes offered with that material (or the process's default)."""
        process = (
            catalogue["processes"].filtered(lambda p: p.id == selected["process_id"])[:1]
            or catalogue["default_process"]
        )
        materials = process.material_ids & catalogue["materials"]
        material = materials.filtered(lambda m: m.id == selected["material_id"])[:1]
        finishes = request.env["odm.request.options"].offered_finishes(
            process, material or process.default_material_id, catalogue["finishes"]
        )
        return {
            "process": process,
            "materials": materials,
            "material": material,
            "finishes": finishes,
        }

    @staticmethod
    def _odm_option_choices(catalogue):
        """Every offered process's materials and finishes, as JSON for the options script:
        {process id: {default_material, materials: [[id, name]], finishes: [[id, name,
        [material ids, or none for every material]]]}}."""
        choices = {}
        for process in catalogue["processes"]:
            choices[process.id] = {
                "default_material": process.default_material_id.id,
                "materials": [
                    [material.id, material.name]
                    for material in process.material_ids & catalogue["materials"]
                ],
                "finishes": [
                    [finish.id, finish.name, finish.material_ids.ids]
                    for finish in catalogue["finishes"]
                    if process in finish.process_ids
                ],
            }
        return json.dumps(choices)

    @staticmethod
    def _odm_options(form):
        """The form's options (ids) resolved by odm.request.options; OdmRequestError names the
        one the customer must change."""
        return request.env["odm.request.options"].resolve(
            {
                "process": form.get("process_id"),
                "material": form.get("material_id"),
                "finish": form.get("finish_id"),
                "lead_time": form.get("lead_time_id"),
                "quantity": form.get("quantity"),
                "unit": form.get("unit"),
            },
            key="id",
        )

    @staticmethod
    def _odm_last_options(quote):
        """The options of a part's last quote; OdmRequestError when one is no longer offered."""
        return request.env["odm.request.options"].resolve(
            {
                "process": quote.process_id,
                "material": quote.material_id,
                "finish": quote.finish_id,
                "lead_time": quote.lead_time_id,
                "quantity": max(quote.quantity, 1),
            }
        )

    def _odm_uploads(self):
        """(uploads, refused) of the form's files (``read_uploads``); FormError without any."""
        files = [f for f in request.httprequest.files.getlist("files") if f.filename]
        if not files:
            raise FormError(request.env._("Choose at least one 3D file or zip archive."))
        return read_uploads(files)

    def _odm_preview(self, uploads, options):
        """(priced parts, refused files) for a visitor: analysed and priced in memory,
        nothing stored."""
        parts, refused = (
            request.env["odm.part"]
            .sudo()
            ._preview_uploads(uploads, unit=options.unit, max_parts=MAX_PUBLIC_PARTS)
        )
        # The previews' company: its engine configuration built once for all of them.
        config = request.env["odm.pricing"].sudo().engine_config()
        previews = []
        for part in parts:
            result, parameters = options.price(part, config=config)
            estimate_note = request.env["odm.part.quote"]._odm_estimate_words(
                parameters["estimate"], result.unit_price
            )
            result = result.to_dict()
            chosen = next(
                option
                for option in self._odm_delivery_options(result, options.quantity)
                if option["chosen"]
            )
            previews.append(
                {
                    "part": part,
                    "thumbnail_url": image_data_uri(part.thumbnail),
                    "result": result,
                    "unit_price": chosen["unit_price"],
                    "total": chosen["total_price"],
                    "estimate_note": estimate_note,
                }
            )
        return previews, refused

    @staticmethod
    def _odm_delivery_options(result, quantity):
        """The quote's delivery options priced as an order line prices them.

        A line rounds its unit price to the product price precision and its total to the
        currency, so the figures shown here are the ones the quotation will carry.
        """
        options = []
        for option in result.get("lead_time_options") or []:
            unit_price, total = OdmQuotePortal._odm_line_amounts(option["unit_price"], quantity)
            options.append(
                {
                    **option,
                    "unit_price": unit_price,
                    "total_price": total,
                    "chosen": option["tier"] == result.get("lead_time"),
                }
            )
        return options

    @staticmethod
    def _odm_line_amounts(unit_price, quantity):
        """Unit price and total rounded as a sales order line rounds them."""
        env = request.env
        digits = env["decimal.precision"].precision_get("Product Price")
        unit_price = float_round(unit_price, precision_digits=digits)
        return unit_price, env.company.currency_id.round(unit_price * quantity)

    # ------------------------------------------------------------------ rendering
    def _odm_render_quote_page(  # noqa: PLR0917 (the page's parts, as each caller has them)
        self, errors=(), previews=(), form=None, status=200, headers=None, refused=None
    ):
        public = request.env.user._is_public()
        catalogue = self._odm_catalogue()
        cart = request.env["sale.order"] if public else self._odm_cart()
        form = form or {}
        values = self._prepare_portal_layout_values()
        values.update(
            catalogue=catalogue,
            selected=self._odm_selected(form, catalogue),
            public=public,
            signup_enabled=request.env["res.users"].sudo()._get_signup_invitation_scope() == "b2c",
            login_url=f"/web/login?{url_encode({'redirect': QUOTE_URL})}",
            signup_url=f"/web/signup?{url_encode({'redirect': QUOTE_URL})}",
            cart=cart,
            cart_lines=cart.order_line.filtered("odm_part_id"),
            previews=previews,
            errors=list(errors),
            # Refused files of the last upload: given, or carried over its redirect.
            refused=[
                FileRefusal(*refusal)
                for refusal in (
                    refused if refused is not None else request.session.pop(REFUSED_KEY, [])
                )
            ],
            flash=self._odm_pop_flash(),
            odm_delivery_options=self._odm_delivery_options,
            odm_customer_view=self._odm_customer_view(cart),
            odm_option_lists=self._odm_option_lists,
            odm_option_choices=self._odm_option_choices(catalogue),
            odm_customer_findings=customer_findings,
            page_name="odm_quote",
            no_breadcrumbs=public,
        )
        return request.render("odm_quote.portal_quote_page", values, status=status, headers=headers)

    def _odm_customer_view(self, cart):
        """For the part card: (part, result, line_id) -> grid, breakdown and comparison
        (odm.customer.view). A line of the caller's cart gets cells that set it; any other
        priced part (a visitor's preview) a read-only grid, rounded as a line would be."""
        views = request.env["odm.customer.view"].sudo()
        engine_config = functools.cache(views.env["odm.pricing"].engine_config)

        def customer_view(part, result, line_id=None):
            if not result:
                return None
            line = cart.order_line.filtered(lambda line: line.id == line_id) if line_id else None
            return views.for_quote(
                part,
                result,
                line=line,
                config=engine_config(part.company_id or request.env.company),
                amounts=self._odm_line_amounts,
            )

        return customer_view

    def _odm_selected(self, form, catalogue):
        """The ids and values the upload form shows as chosen."""

        def chosen(key, default):
            value = form.get(key)
            return int(value) if value and str(value).isdigit() else default.id

        return {
            "process_id": chosen("process_id", catalogue["default_process"]),
            "material_id": chosen("material_id", catalogue["materials"].browse()),
            "finish_id": chosen("finish_id", catalogue["finishes"].browse()),
            "lead_time_id": chosen("lead_time_id", catalogue["default_lead_time"]),
            "quantity": form.get("quantity") or 1,
            "unit": form.get("unit") if form.get("unit") in UNITS else "auto",
        }

    def _odm_flash(self, level, message):
        request.session[FLASH_KEY] = [*request.session.get(FLASH_KEY, []), (level, message)]

    def _odm_pop_flash(self):
        return [tuple(message) for message in request.session.pop(FLASH_KEY, [])]

    @staticmethod
    def _odm_money(amount, currency):
        return format_amount(request.env, amount, currency)

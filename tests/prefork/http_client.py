"""Plain HTTP clients of a running Odoo, as a browser and the back office use it: a portal
customer's session (login, upload form, cart) and the administrator's JSON-RPC."""

import re

import requests

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINE_ID = re.compile(r'id="odm_line_(\d+)"')
CART_ID = re.compile(r'name="order_id" value="(\d+)"')
TIMEOUT_S = 120


class PortalCustomer:
    """One portal user's browser session on the instant-quote page."""

    def __init__(self, base_url, login, password=None):
        self.base_url = base_url
        self.http = requests.Session()
        self.login = login
        self.password = password or login

    def sign_in(self):
        page = self.http.get(f"{self.base_url}/web/login", timeout=TIMEOUT_S)
        page.raise_for_status()
        answer = self.http.post(
            f"{self.base_url}/web/login",
            data={
                "login": self.login,
                "password": self.password,
                "csrf_token": csrf_token(page.text),
                "redirect": "/odm/quote",
            },
            timeout=TIMEOUT_S,
        )
        answer.raise_for_status()
        if "/web/login" in answer.url:
            raise AssertionError(f"{self.login} could not sign in")
        return answer

    def quote_page(self):
        return self.http.get(f"{self.base_url}/odm/quote", timeout=TIMEOUT_S)

    def upload(self, filename, data, form, page_html=None):
        """Posts one file with the upload form's options (ids); the answer after the redirect
        (the cart page) or the refusal (422)."""
        html = page_html or self.quote_page().text
        return self.http.post(
            f"{self.base_url}/odm/quote/upload",
            data={"csrf_token": csrf_token(html), "unit": "auto", **form},
            files=[("files", (filename, data))],
            timeout=TIMEOUT_S,
        )

    def reprice(self, line_id, form, page_html):
        return self.http.post(
            f"{self.base_url}/odm/quote/line/{line_id}",
            data={"csrf_token": csrf_token(page_html), **form},
            timeout=TIMEOUT_S,
        )

    def remove(self, line_id, page_html):
        return self.http.post(
            f"{self.base_url}/odm/quote/line/{line_id}/remove",
            data={"csrf_token": csrf_token(page_html)},
            timeout=TIMEOUT_S,
        )

    def request_quotation(self, page_html):
        cart = CART_ID.search(page_html)
        if not cart:
            raise AssertionError("the cart page has no request form")
        return self.http.post(
            f"{self.base_url}/odm/quote/request",
            data={"csrf_token": csrf_token(page_html), "order_id": cart.group(1)},
            timeout=TIMEOUT_S,
        )

    def close(self):
        self.http.close()


class AdminRpc:
    """The administrator's JSON-RPC session, as the web client calls models."""

    def __init__(self, base_url, database, login="admin", password="admin"):
        self.base_url = base_url
        self.http = requests.Session()
        self._rpc("/web/session/authenticate", db=database, login=login, password=password)

    def call(self, model, method, *args, **kwargs):
        return self._rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            model=model,
            method=method,
            args=list(args),
            kwargs=kwargs,
        )

    def run_server_action(self, xmlid):
        """Runs a server action as its menu item does; what it returns (an action or False)."""
        action = self._rpc("/web/action/load", action_id=xmlid)
        return self._rpc("/web/action/run", action_id=action["id"])

    def _rpc(self, path, **params):
        answer = self.http.post(
            f"{self.base_url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=TIMEOUT_S,
        )
        answer.raise_for_status()
        body = answer.json()
        if "error" in body:
            data = body["error"].get("data", {})
            raise RuntimeError(f"{path}: {data.get('message') or body['error']}")
        return body["result"]


def csrf_token(html):
    match = CSRF.search(html)
    if not match:
        raise AssertionError(f"no CSRF token in the page: {html[:300]}")
    return match.group(1)


def line_ids(html):
    return [int(found) for found in LINE_ID.findall(html)]

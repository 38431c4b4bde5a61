"""Client of the federation API another shop of the network serves (docs/network-api-v1.yaml).

Every call is JSON over HTTP, signed with ``signing.sign`` (HMAC over method, path, timestamp,
nonce and body) and authenticated with the Odoo API key the partner issued us, sent as
``Authorization: Bearer <key>``. A partner server that serves several databases is told ours
once per client through Odoo's ``/web/login?db=`` (the session cookie then names it).

Failures come in two kinds, so that the caller knows whether trying the next partner makes
sense: ``PartnerUnavailable`` (no answer in time, connection refused, 5xx, an answer that is not
the API's JSON, a redirect, an answer over the size cap; ``PartnerBusy`` when it throttles us
with 429, with the seconds its ``Retry-After`` asks for) and ``PartnerRefused`` (the partner
answered 4xx with its error code). Redirects are never followed: one would carry our signed
request, and a customer's file, to whatever host the partner names.
"""

import email.utils
import json
import math
import time
from typing import Any
from urllib.parse import quote as url_quote

import requests

from odm_engine.network import signing
from odm_engine.network.bounded_http import (
    DEFAULT_MAX_RESPONSE_BYTES,
    Redirected,
    ResponseTooLarge,
    bounded_request,
)

API_PREFIX = "/odm/federation/v1"
ORDER_STATES = ("accepted", "in_production", "shipped")
"""What an order goes through at the partner, in this order; status callbacks name them."""
# A throttling partner that does not say how long to wait is left alone this long; none is
# left alone longer than a day, whatever it says.
DEFAULT_RETRY_AFTER_S = 60
MAX_RETRY_AFTER_S = 86400


class PartnerUnavailable(Exception):
    """The partner could not be reached or did not answer properly; try another one."""


class PartnerBusy(PartnerUnavailable):
    """The partner throttles us (HTTP 429): no call before ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PartnerRefused(Exception):
    """The partner answered and refused the request: ``status``, ``code`` and ``message``."""

    def __init__(self, url: str, status: int, code: str, message: str) -> None:
        super().__init__(f"{url} refused the request ({status} {code}): {message}")
        self.status = status
        self.code = code
        self.message = message


def retry_after_seconds(value: str | None, now: float | None = None) -> int:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), between 1 s
    and a day; a missing or unreadable one counts as ``DEFAULT_RETRY_AFTER_S``."""
    seconds = DEFAULT_RETRY_AFTER_S
    text = (value or "").strip()
    if text.isdigit():
        seconds = int(text)
    elif text:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            now = time.time() if now is None else now
            seconds = math.ceil(when.timestamp() - now)
    return min(max(seconds, 1), MAX_RETRY_AFTER_S)


class FederationClient:
    """One partner shop's federation API, as seen from ours."""

    def __init__(
        self,
        base_url: str,
        key_id: str,
        secret: str,
        api_key: str,
        *,
        timeout_s: float = 10,
        database: str | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_id = key_id
        self.secret = secret
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.database = database
        self.max_response_bytes = max_response_bytes
        self._session: requests.Session | None = None

    def capacity(self) -> dict:
        """The partner's free machine-hours per process and day, and its next free slot."""
        return self._call("GET", "capacity")

    def request_quote(self, payload: dict) -> dict:
        """The partner's price and lead time for a part (its metrics or its file)."""
        return self._call("POST", "rfq", payload)

    def place_order(self, payload: dict, idempotency_key: str) -> dict:
        """Places an order; the same key always gets the first answer (safe to retry)."""
        signing.check_idempotency_key(idempotency_key)
        return self._call("POST", "orders", payload, {signing.IDEMPOTENCY_HEADER: idempotency_key})

    def order_status(self, remote_ref: str) -> dict:
        """The state of one of our orders at the partner, by the partner's reference."""
        return self._call("GET", f"orders/{url_quote(remote_ref, safe='')}")

    def post_status(self, payload: dict) -> dict:
        """Tells the partner (our client) how its order progresses."""
        return self._call("POST", "status", payload)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _call(self, method: str, route: str, payload: Any = None, headers=None) -> dict:
        path = f"{API_PREFIX}/{route}"
        url = self.base_url + path
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        signed = signing.sign(self.secret, method, path, body, key_id=self.key_id)
        all_headers = {
            **signed,
            **(headers or {}),
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
        }
        if body:
            all_headers["Content-Type"] = "application/json"
        try:
            response = bounded_request(
                self._bound_session(),
                method,
                url,
                data=body,
                headers=all_headers,
                timeout=self.timeout_s,
                max_bytes=self.max_response_bytes,
            )
        except (Redirected, ResponseTooLarge) as error:
            raise PartnerUnavailable(f"{url}: {error}; not followed or read") from error
        except requests.Timeout as error:
            raise PartnerUnavailable(f"{url}: no answer within {self.timeout_s:g} s") from error
        except requests.RequestException as error:
            raise PartnerUnavailable(f"{url}: {error}") from error
        if response.status_code >= 500:
            raise PartnerUnavailable(f"{url}: server error {response.status_code}")
        if response.status_code == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            raise PartnerBusy(f"{url}: too many requests, asked us to wait {wait} s", wait)
        try:
            answer = response.json()
        except ValueError as error:
            raise PartnerUnavailable(
                f"{url}: answered {response.status_code} without JSON "
                f"({response.headers.get('Content-Type', 'no content type')})"
            ) from error
        if not isinstance(answer, dict):
            raise PartnerUnavailable(
                f"{url}: answered a JSON {type(answer).__name__}, not an object"
            )
        if response.status_code >= 400:
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            raise PartnerRefused(
                url,
                response.status_code,
                str(error.get("code", "unknown")),
                str(error.get("message", response.reason)),
            )
        return answer

    def _bound_session(self) -> requests.Session:
        """The HTTP session, bound to the partner's database when its server has several."""
        if self._session is not None:
            return self._session
        session = requests.Session()
        if self.database:
            try:
                # Only the session cookie matters: the answer (a redirect) is never read.
                session.get(
                    f"{self.base_url}/web/login",
                    params={"db": self.database},
                    allow_redirects=False,
                    stream=True,
                    timeout=self.timeout_s,
                ).close()
            except requests.RequestException as error:
                session.close()
                raise PartnerUnavailable(f"{self.base_url}: {error}") from error
        self._session = session
        return session

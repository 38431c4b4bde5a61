"""HTTP requests to peers we do not control (partner shops, machines on the shop floor): no
redirect is followed and no answer is read past a size cap.

A redirect would carry our signed request, a customer's file or a machine's API key to whatever
host the peer names; an endless or huge answer would hold a worker and its memory. Callers turn
the two exceptions into their own errors.
"""

import time

import requests

DEFAULT_MAX_RESPONSE_BYTES = 16 * 2**20
_CHUNK = 64 * 1024


class Redirected(Exception):
    """The peer answered a redirect, which is not followed; ``location`` is where to."""

    def __init__(self, status: int, location: str):
        super().__init__(f"answered {status}, a redirect to {location or 'elsewhere'}")
        self.status = status
        self.location = location


class ResponseTooLarge(Exception):
    """The answer is larger than the cap (or does not end within the timeout)."""


def bounded_request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float,
    max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    **kwargs,
) -> requests.Response:
    """``session.request`` without redirects, its body read up to ``max_bytes`` within
    ``timeout`` seconds after the headers; the response is complete (``.content``,
    ``.json()``) when returned. Transport errors are requests' own."""
    response = session.request(
        method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs
    )
    with response:
        if response.is_redirect or 300 <= response.status_code < 400:
            raise Redirected(response.status_code, response.headers.get("Location", ""))
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise ResponseTooLarge(f"announced {int(declared):,} bytes, over {max_bytes:,}")
        deadline = time.monotonic() + timeout
        body = bytearray()
        for chunk in response.iter_content(_CHUNK):
            body += chunk
            if len(body) > max_bytes:
                raise ResponseTooLarge(f"sent more than {max_bytes:,} bytes")
            if time.monotonic() > deadline:
                raise ResponseTooLarge(f"did not finish its answer within {timeout:g} s")
    response._content = bytes(body)  # what requests itself stores once a body is read
    return response

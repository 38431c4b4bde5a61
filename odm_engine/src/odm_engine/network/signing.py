"""Signed requests of the federation API between shops: the wire format, signing, checking.

Every request between two shops carries these HTTP headers (names are case-insensitive)::

    X-ODM-API-Version: 1
    X-ODM-Key-Id:      <the id of the shared secret, as agreed between the two shops>
    X-ODM-Timestamp:   <Unix time of signing, whole seconds, decimal>
    X-ODM-Nonce:       <16-128 characters of A-Z a-z 0-9 - _, never reused>
    X-ODM-Signature:   v1=<lowercase hex HMAC-SHA256>

The signature is HMAC-SHA256, keyed with the shared secret's UTF-8 bytes, over the canonical
string: five lines joined by a line feed (``\\n``, no trailing one), encoded as UTF-8::

    <METHOD in upper case>
    <path as sent on the request line, query string included, e.g. /odm/api/v1/orders?x=1>
    <timestamp, exactly as in its header>
    <nonce, exactly as in its header>
    <lowercase hex SHA-256 of the raw body bytes (of the empty string when there is none)>

Example: secret ``s3cret``, ``POST /odm/api/v1/orders``, body ``{"a":1}``, timestamp
``1767225600``, nonce ``n0nce-0123456789ab`` give the signature
``v1=028dd2ac914b072daccf74dd0d15544df48835ed30e7964110bc86359de81e88``. The receiver checks, in
this order: body size, headers present and well formed, API version, key id known, timestamp within
``max_skew_s`` of its clock (either way), signature (compared in constant time), nonce not seen
before for that key id (it remembers nonces until their timestamp leaves the window, so a
replay is refused whether or not it is stale). Failures raise ``SignatureError`` with a stable
``code`` the HTTP glue answers with (401, or 413 for ``body_too_large``).

Order placement is idempotent: the client sends ``Idempotency-Key`` (16-128 characters of
A-Z a-z 0-9 - _ . :) and the receiver answers a repeated key with the first answer.
``idempotency_key`` derives one from the partner and the payload, so retrying the same order
always reuses its key.
"""

import hashlib
import heapq
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

API_VERSION = "1"
VERSION_HEADER = "X-ODM-API-Version"
KEY_ID_HEADER = "X-ODM-Key-Id"
TIMESTAMP_HEADER = "X-ODM-Timestamp"
NONCE_HEADER = "X-ODM-Nonce"
SIGNATURE_HEADER = "X-ODM-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_SCHEME = "v1="
MAX_BODY_BYTES = 64 * 1024 * 1024
"""Default body limit: an order with its geometry files, well above any real one."""

_NONCE = re.compile(r"[A-Za-z0-9_-]{16,128}")
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{16,128}")
_SIGNATURE = re.compile(r"v1=[0-9a-f]{64}")

ERROR_CODES = (
    "body_too_large",
    "missing_header",
    "malformed_header",
    "unsupported_version",
    "unknown_key",
    "stale_timestamp",
    "bad_signature",
    "replayed_nonce",
)


class SignatureError(Exception):
    """A request refused by ``verify``: ``code`` (one of ``ERROR_CODES``) and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class NonceStore(Protocol):
    """Remembers the nonces of accepted requests per key id until they expire."""

    def add(self, key_id: str, nonce: str, expires_at: float, now: float) -> bool:
        """Record the nonce; False when it is already there and not expired at ``now``."""


class MemoryNonceStore:
    """A ``NonceStore`` in memory, forgetting expired nonces as time goes on (tests, one
    process); the Odoo glue keeps them in a table so every worker sees them."""

    def __init__(self) -> None:
        self._expiry: dict[tuple[str, str], float] = {}
        self._queue: list[tuple[float, str, str]] = []

    def add(self, key_id: str, nonce: str, expires_at: float, now: float) -> bool:
        while self._queue and self._queue[0][0] <= now:
            _expired, old_key, old_nonce = heapq.heappop(self._queue)
            if self._expiry.get((old_key, old_nonce), now + 1) <= now:
                del self._expiry[old_key, old_nonce]
        if self._expiry.get((key_id, nonce), now) > now:
            return False
        self._expiry[key_id, nonce] = expires_at
        heapq.heappush(self._queue, (expires_at, key_id, nonce))
        return True

    def __len__(self) -> int:
        return len(self._expiry)


class RequestNonceStore:
    """The ``NonceStore`` of one received request, over the store every request shares: the
    nonce this request recorded passes again at its later attempts, any other request's use of
    it is refused.

    For servers that serve a request again when an attempt failed and rolled back everything it
    did (Odoo retries the transaction of a request that hit a serialization failure), while the
    shared store keeps a checked nonce whatever becomes of the attempt. The server makes one
    ``RequestNonceStore`` per request it received, kept out of reach of what arrives on the
    wire; a replay of the captured bytes is another request, so the shared store refuses it.
    """

    def __init__(self, shared: NonceStore) -> None:
        self._shared = shared
        self._recorded: set[tuple[str, str]] = set()

    def add(self, key_id: str, nonce: str, expires_at: float, now: float) -> bool:
        if (key_id, nonce) in self._recorded:
            return True
        if not self._shared.add(key_id, nonce, expires_at, now):
            return False
        self._recorded.add((key_id, nonce))
        return True


def canonical_string(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The signed bytes: method, path, timestamp, nonce and the body's SHA-256, one a line."""
    lines = (method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest())
    return "\n".join(lines).encode()


def signature(
    secret: str, method: str, path: str, body: bytes, *, timestamp: str, nonce: str
) -> str:
    """The ``X-ODM-Signature`` value of a request."""
    digest = hmac.new(
        secret.encode(), canonical_string(method, path, timestamp, nonce, body), hashlib.sha256
    )
    return SIGNATURE_SCHEME + digest.hexdigest()


def sign(
    secret: str,
    method: str,
    path: str,
    body: bytes,
    *,
    key_id: str,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign a request; timestamp defaults to now, nonce to a fresh random
    one (give them only to reproduce a signature)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_urlsafe(18) if nonce is None else nonce
    if not _NONCE.fullmatch(nonce):
        raise ValueError("A nonce is 16-128 characters of A-Z a-z 0-9 - _")
    return {
        VERSION_HEADER: API_VERSION,
        KEY_ID_HEADER: key_id,
        TIMESTAMP_HEADER: stamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(secret, method, path, body, timestamp=stamp, nonce=nonce),
    }


def verify(
    secret_lookup: Callable[[str], str | None],
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    nonce_store: NonceStore,
    max_skew_s: float = 300,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> str:
    """The key id of a correctly signed, fresh, first-seen request; raises ``SignatureError``.

    ``secret_lookup`` gives the shared secret of a key id, None for an unknown one. The nonce
    is recorded only once the signature is right, so forged requests cannot fill the store.
    """
    if len(body) > max_body_bytes:
        raise SignatureError(
            "body_too_large", f"body of {len(body):,} bytes, the limit is {max_body_bytes:,}"
        )
    given = {name.lower(): value for name, value in headers.items()}
    names = (VERSION_HEADER, KEY_ID_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
    missing = [name for name in names if not given.get(name.lower())]
    if missing:
        raise SignatureError("missing_header", f"missing {', '.join(missing)}")
    version, key_id, stamp, nonce, signed = (given[name.lower()] for name in names)
    if not stamp.isascii() or not stamp.isdigit():
        raise SignatureError("malformed_header", f"{TIMESTAMP_HEADER} must be whole seconds")
    if not _NONCE.fullmatch(nonce):
        raise SignatureError("malformed_header", f"{NONCE_HEADER} must be {_NONCE.pattern}")
    if not _SIGNATURE.fullmatch(signed):
        raise SignatureError("malformed_header", f"{SIGNATURE_HEADER} must be v1=<64 hex>")
    if version != API_VERSION:
        raise SignatureError(
            "unsupported_version", f"API version {version!r}, this shop speaks {API_VERSION}"
        )
    secret = secret_lookup(key_id)
    if secret is None:
        raise SignatureError("unknown_key", f"no shared secret for key id {key_id!r}")
    skew = now - int(stamp)
    if abs(skew) > max_skew_s:
        raise SignatureError(
            "stale_timestamp",
            f"timestamp {'behind' if skew > 0 else 'ahead of'} our clock by {abs(skew):.0f} s, "
            f"the limit is {max_skew_s:g} s",
        )
    expected = signature(secret, method, path, body, timestamp=stamp, nonce=nonce)
    if not hmac.compare_digest(expected.encode(), signed.encode()):
        raise SignatureError("bad_signature", "the signature does not match the request")
    if not nonce_store.add(key_id, nonce, int(stamp) + max_skew_s, now):
        raise SignatureError("replayed_nonce", f"nonce {nonce} was already used")
    return key_id


def idempotency_key(partner: str, payload: Any) -> str:
    """A key derived from the partner and the JSON payload (keys sorted, compact, UTF-8):
    the same order retried gets the same key, a different order a different one."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(f"{partner}\n{canonical}".encode()).hexdigest()
    return f"odm1:{digest}"


def check_idempotency_key(value: str | None) -> str:
    """A client-given ``Idempotency-Key``, or ValueError saying what a valid one is."""
    if value is None or not _IDEMPOTENCY_KEY.fullmatch(value):
        raise ValueError(
            f"{IDEMPOTENCY_HEADER} must be 16-128 characters of A-Z a-z 0-9 - _ . : (got {value!r})"
        )
    return value

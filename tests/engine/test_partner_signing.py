"""Signed federation requests: the documented example, round trips, every way a request is
refused, nonce expiry and idempotency keys."""

import hashlib
import hmac

import pytest

from odm_engine.network import signing
from odm_engine.network.signing import (
    MemoryNonceStore,
    RequestNonceStore,
    SignatureError,
    canonical_string,
    check_idempotency_key,
    idempotency_key,
    sign,
    verify,
)

NOW = 1_767_225_600
SECRETS = {"shop-a": "s3cret", "shop-b": "other secret"}
PATH = "/odm/api/v1/orders?dry_run=0"
BODY = b'{"lines":[{"part":"bracket","qty":10}]}'


def signed(**changes) -> dict[str, str]:
    return sign("s3cret", "POST", PATH, BODY, key_id="shop-a", timestamp=NOW, **changes)


def check(headers, *, method="POST", path=PATH, body=BODY, now=NOW, store=None, **options) -> str:
    return verify(
        SECRETS.get,
        method,
        path,
        headers,
        body,
        now=now,
        nonce_store=MemoryNonceStore() if store is None else store,
        **options,
    )


def refusal(*args, **kwargs) -> str:
    with pytest.raises(SignatureError) as raised:
        check(*args, **kwargs)
    assert raised.value.code in signing.ERROR_CODES
    return raised.value.code


def test_documented_example_signature():
    """The docstring's example, rebuilt from the wire format with hashlib and hmac alone."""
    body = b'{"a":1}'
    canonical = (
        "POST\n/odm/api/v1/orders\n1767225600\nn0nce-0123456789ab\n"
        + hashlib.sha256(body).hexdigest()
    ).encode()
    expected = hmac.new(b"s3cret", canonical, hashlib.sha256).hexdigest()
    assert expected == "028dd2ac914b072daccf74dd0d15544df48835ed30e7964110bc86359de81e88"
    assert f"v1={expected}" in signing.__doc__
    assert (
        canonical_string("post", "/odm/api/v1/orders", "1767225600", "n0nce-0123456789ab", body)
        == canonical
    )
    headers = sign(
        "s3cret",
        "POST",
        "/odm/api/v1/orders",
        body,
        key_id="shop-a",
        timestamp=1767225600,
        nonce="n0nce-0123456789ab",
    )
    assert headers["X-ODM-Signature"] == f"v1={expected}"


def test_round_trip_gives_the_key_id_and_headers_are_case_insensitive():
    headers = signed()
    assert check(headers) == "shop-a"
    assert check({name.lower(): value for name, value in headers.items()}) == "shop-a"


def test_fresh_nonces_differ():
    assert signed()["X-ODM-Nonce"] != signed()["X-ODM-Nonce"]


@pytest.mark.parametrize(
    "tampered",
    [
        {"body": BODY.replace(b"10", b"99")},
        {"path": "/odm/api/v1/orders?dry_run=1"},
        {"method": "PUT"},
    ],
)
def test_tampered_request_is_refused(tampered):
    assert refusal(signed(), **tampered) == "bad_signature"


def test_tampered_timestamp_is_refused():
    headers = {**signed(), "X-ODM-Timestamp": str(NOW + 1)}
    assert refusal(headers) == "bad_signature"


def test_signature_of_another_secret_is_refused():
    headers = {**signed(), "X-ODM-Key-Id": "shop-b"}
    assert refusal(headers) == "bad_signature"


@pytest.mark.parametrize(("offset", "code"), [(-301, "stale_timestamp"), (301, "stale_timestamp")])
def test_timestamp_outside_the_window_either_way(offset, code):
    """A request 301 s old, or 301 s from the future, is refused; 300 s is still fine."""
    assert refusal(signed(), now=NOW - offset) == code
    assert check(signed(), now=NOW - offset // abs(offset) * 300) == "shop-a"


def test_replayed_nonce_is_refused_even_within_the_window():
    store = MemoryNonceStore()
    headers = signed()
    assert check(headers, store=store) == "shop-a"
    assert refusal(headers, store=store, now=NOW + 10) == "replayed_nonce"
    # the same nonce under another key id is another shop's business
    other = sign(
        "other secret",
        "POST",
        PATH,
        BODY,
        key_id="shop-b",
        timestamp=NOW,
        nonce=headers["X-ODM-Nonce"],
    )
    assert check(other, store=store) == "shop-b"


def test_forged_requests_do_not_consume_nonces():
    store = MemoryNonceStore()
    headers = signed()
    refusal({**headers, "X-ODM-Signature": "v1=" + "0" * 64}, store=store)
    assert check(headers, store=store) == "shop-a"


def test_servers_retry_of_a_request_passes_its_own_nonce_only():
    """Each received request checks through a RequestNonceStore of its own: its attempts pass
    its nonce again, a replay (another request) is refused while or after it runs."""
    shared = MemoryNonceStore()
    received = RequestNonceStore(shared)
    headers = signed()
    assert check(headers, store=received) == "shop-a"
    assert refusal(headers, store=RequestNonceStore(shared), now=NOW + 1) == "replayed_nonce"
    assert check(headers, store=received, now=NOW + 2) == "shop-a", "the server's retry"
    assert refusal(headers, store=RequestNonceStore(shared), now=NOW + 3) == "replayed_nonce"
    # A request passes only the nonce it recorded, not one another request recorded first.
    other = signed(nonce="other-0123456789ab")
    assert check(other, store=RequestNonceStore(shared)) == "shop-a"
    assert refusal(other, store=received) == "replayed_nonce"


def test_forged_request_records_nothing_for_its_retry():
    shared = MemoryNonceStore()
    forger = RequestNonceStore(shared)
    headers = signed()
    forged = {**headers, "X-ODM-Signature": "v1=" + "0" * 64}
    assert refusal(forged, store=forger) == "bad_signature"
    assert check(headers, store=RequestNonceStore(shared)) == "shop-a"
    assert refusal(headers, store=forger) == "replayed_nonce"


def test_nonce_store_forgets_expired_nonces():
    store = MemoryNonceStore()
    assert store.add("k", "nonce-a", expires_at=100, now=0)
    assert not store.add("k", "nonce-a", expires_at=110, now=50)
    assert store.add("k", "nonce-b", expires_at=300, now=60)
    assert store.add("k", "nonce-c", expires_at=400, now=200)  # nonce-a expired meanwhile
    assert len(store) == 2
    assert store.add("k", "nonce-a", expires_at=500, now=200)


def test_unknown_key_is_refused():
    headers = sign("whatever", "POST", PATH, BODY, key_id="stranger", timestamp=NOW)
    assert refusal(headers) == "unknown_key"


def test_oversized_body_is_refused_before_anything_else():
    assert refusal({}, body=b"x" * 1001, max_body_bytes=1000) == "body_too_large"


@pytest.mark.parametrize(
    "header",
    ["X-ODM-API-Version", "X-ODM-Key-Id", "X-ODM-Timestamp", "X-ODM-Nonce", "X-ODM-Signature"],
)
def test_every_header_is_required(header):
    headers = signed()
    del headers[header]
    with pytest.raises(SignatureError, match=header) as raised:
        check(headers)
    assert raised.value.code == "missing_header"


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [
        ("X-ODM-Timestamp", "1767225600.5", "malformed_header"),
        ("X-ODM-Nonce", "short", "malformed_header"),
        ("X-ODM-Signature", "sha1=abc", "malformed_header"),
        ("X-ODM-API-Version", "2", "unsupported_version"),
    ],
)
def test_malformed_headers_and_other_versions_are_refused(header, value, code):
    assert refusal({**signed(), header: value}) == code


def test_signatures_are_compared_in_constant_time(monkeypatch):
    compared, real_compare_digest = [], hmac.compare_digest

    def compare_digest(first, second):
        compared.append((first, second))
        return real_compare_digest(first, second)

    monkeypatch.setattr(signing.hmac, "compare_digest", compare_digest)
    headers = signed()
    assert check(headers) == "shop-a"
    assert refusal({**headers, "X-ODM-Signature": "v1=" + "a" * 64}) == "bad_signature"
    assert [given for _expected, given in compared] == [
        headers["X-ODM-Signature"].encode(),
        b"v1=" + b"a" * 64,
    ]


def test_idempotency_key_is_stable_per_partner_and_payload():
    order = {"lines": [{"part": "bracket", "qty": 10}], "due": "2026-03-12"}
    reordered = {"due": "2026-03-12", "lines": [{"qty": 10, "part": "bracket"}]}
    key = idempotency_key("shop-a", order)
    assert key == idempotency_key("shop-a", reordered)
    assert key != idempotency_key("shop-b", order)
    assert key != idempotency_key("shop-a", {**order, "due": "2026-03-13"})
    assert check_idempotency_key(key) == key


@pytest.mark.parametrize("value", [None, "", "too-short", "spaces are not allowed here", "x" * 129])
def test_client_idempotency_keys_are_validated(value):
    with pytest.raises(ValueError, match="Idempotency-Key must be 16-128 characters"):
        check_idempotency_key(value)

"""Peers we do not control (partner shops, machines) cannot bounce our requests elsewhere, flood
us with an endless answer or feed us an XML bomb: a real HTTP server plays the hostile peer."""

import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from odm_engine.machines.connectors import (
    ConnectionSettings,
    ConnectorError,
    MachineRefused,
    MachineState,
    MachineUnreachable,
    connect,
)
from odm_engine.machines.connectors.bambu import BambuConnector
from odm_engine.network.federation_client import FederationClient, PartnerUnavailable
from tests.peers.net import LOOPBACK, write_tls_material
from tests.peers.opcua import CLIENT_URI, opcua_certificate, opcua_machine_tool

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b'<MTConnectStreams><Streams><Execution dataItemId="x">&lol2;</Execution></Streams>'
    b"</MTConnectStreams>"
)


@contextmanager
def peer(answer):
    """A loopback HTTP server answering every request with ``answer(handler)``; it records
    the requests it saw (method, path, headers)."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            seen.append((self.command, self.path, dict(self.headers), self.rfile.read(length)))
            answer(self)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def redirect_to(port):
    def answer(handler):
        handler.send_response(307)
        handler.send_header("Location", f"http://{LOOPBACK}:{port}/stolen")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def endless(handler):
    """64 MB of JSON-looking chunks, or until the client hangs up: endless to a client with a
    1 MB cap, and finite for a client without one (its test fails rather than hangs)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"0," * 32768
    try:
        for _ in range(1024):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        handler.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass


def xml(body):
    def answer(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/xml")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def client(port, **options):
    return FederationClient(f"http://{LOOPBACK}:{port}", "key", "secret", "api-key", **options)


def test_federation_client_does_not_follow_a_redirect_with_our_signed_request():
    with (
        peer(xml(b"{}")) as (elsewhere, stolen),
        peer(redirect_to(elsewhere)) as (port, seen),
        pytest.raises(PartnerUnavailable, match="redirect"),
    ):
        client(port).request_quote({"part": {"file_base64": "c2VjcmV0"}})
    assert len(seen) == 1 and stolen == []


def test_federation_client_stops_reading_an_endless_answer():
    with peer(endless) as (port, _seen):
        started = time.monotonic()
        with pytest.raises(PartnerUnavailable, match="more than"):
            client(port, max_response_bytes=2**20).capacity()
    assert time.monotonic() - started < 5


def test_machine_api_key_is_not_carried_to_another_host():
    with peer(xml(b"{}")) as (elsewhere, stolen), peer(redirect_to(elsewhere)) as (port, seen):
        settings = ConnectionSettings("octoprint", LOOPBACK, port, api_key="octo-key")
        with connect(settings) as machine, pytest.raises(MachineRefused, match="redirect"):
            machine.status()
    assert seen[0][2].get("X-Api-Key") == "octo-key" and stolen == []


def test_machine_answer_is_capped():
    with (
        peer(endless) as (port, _seen),
        connect(ConnectionSettings("moonraker", LOOPBACK, port)) as machine,
    ):
        machine.max_response_bytes = 2**20
        with pytest.raises(ConnectorError, match="more than"):
            machine.status()


def test_mtconnect_xml_bomb_is_not_expanded():
    with (
        peer(xml(LAUGHS)) as (port, _seen),
        connect(ConnectionSettings("mtconnect", LOOPBACK, port)) as machine,
        pytest.raises(ConnectorError, match="DTD or entities"),
    ):
        machine.status()


# --- Pinned certificates and secured sessions, against the real peers --------------------------


def _bambu(broker, printer, **settings):
    return BambuConnector(
        ConnectionSettings(
            "bambu",
            broker.host,
            broker.port,
            password=broker.password,
            serial=printer.serial,
            timeout_s=2.0,
            **settings,
        )
    )


def test_bambu_trusts_the_pinned_ca_only(bambu_peer, tmp_path):
    broker, printer, _ftps_port = bambu_peer
    with _bambu(broker, printer, ca_certificate=Path(broker.ca_file).read_text()) as machine:
        assert machine.status().state == MachineState.IDLE
    other_ca, _cert, _key = write_tls_material(tmp_path)
    with (
        _bambu(broker, printer, ca_certificate=other_ca.read_text()) as machine,
        pytest.raises(MachineUnreachable),
    ):
        machine.status()


def test_opcua_basic256sha256_sessions_with_our_certificate():
    """One secured machine (a server takes seconds to start): both modes connect with our
    certificate; an unsecured session and an impostor's pinned certificate are refused."""
    certificate, key = opcua_certificate(CLIENT_URI)
    impostor, _key = opcua_certificate("urn:odm:test:impostor")
    with opcua_machine_tool(secured=True) as server:
        server.run("O1000_odm-wo9-a1", parts_completed=3)
        port = int(server.url.rstrip("/").rsplit(":", 1)[1])

        def settings(**security):
            return ConnectionSettings("opcua", LOOPBACK, port, timeout_s=3, **security)

        ours = {"client_certificate": certificate, "client_private_key": key}
        for mode in ("Sign", "SignAndEncrypt"):
            pinned = settings(security_mode=mode, server_certificate=server.certificate, **ours)
            with connect(pinned) as machine:
                status = machine.status()
            assert (status.state, status.part_count) == (MachineState.BUSY, 3)
        for refused in (
            settings(),  # the machine serves no unsecured endpoint
            settings(security_mode="SignAndEncrypt", server_certificate=impostor, **ours),
        ):
            with connect(refused) as machine, pytest.raises(ConnectorError):
                machine.status()


def test_opcua_secured_mode_needs_our_certificate():
    settings = ConnectionSettings("opcua", LOOPBACK, 4840, security_mode="Sign")
    with connect(settings) as machine, pytest.raises(ConnectorError, match="client certificate"):
        machine.status()
    assert "BEGIN" not in repr(
        ConnectionSettings("opcua", LOOPBACK, client_private_key="-----BEGIN PRIVATE KEY-----")
    )

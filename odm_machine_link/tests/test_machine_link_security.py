"""The machine form's connection security reaches the connectors: an OPC UA machine read over
Basic256Sha256 with our certificate (a real secured asyncua server), a Bambu printer's pinned
CA; the private key is for machine managers' eyes only."""

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from tests.peers.opcua import CLIENT_URI, opcua_certificate, opcua_machine_tool

from .common import MachineLinkCase, fdm_machine


@tagged("post_install", "-at_install")
class TestMachineLinkSecurity(MachineLinkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.certificate, cls.key = opcua_certificate(CLIENT_URI)
        cls.impostor, _key = opcua_certificate("urn:odm:test:impostor")

    def opcua_machine(self, port, **values):
        secured = {
            "link_kind": "opcua",
            "link_host": "127.0.0.1",
            "link_port": port,
            "link_timeout_s": 3,
            "link_opcua_security": "SignAndEncrypt",
            "link_client_certificate": self.certificate,
            "link_client_private_key": self.key,
        }
        return fdm_machine(self.env, "Secured Machine Tool", **{**secured, **values})

    def test_opcua_machine_is_read_over_basic256sha256(self):
        """The form's settings make a secured session that reads the machine; pinned to an
        impostor's certificate, or unsecured, the same machine is unreachable."""
        with opcua_machine_tool(secured=True) as server:
            server.run("O1000_odm-wo9-a1", parts_completed=3)
            port = int(server.url.rstrip("/").rsplit(":", 1)[1])
            machine = self.opcua_machine(port, link_server_certificate=server.certificate)
            settings = machine._connection_settings()
            self.assertEqual(
                (
                    settings.security_mode,
                    settings.client_certificate,
                    settings.client_private_key,
                    settings.server_certificate,
                ),
                ("SignAndEncrypt", self.certificate, self.key, server.certificate),
            )
            machine._poll()
            self.assertEqual(machine.link_state, "busy", machine.link_message)
            secured = {
                "link_opcua_security": "SignAndEncrypt",
                "link_server_certificate": server.certificate,
            }
            for changes in (
                {"link_server_certificate": self.impostor},
                {"link_opcua_security": "None"},  # the machine serves no unsecured endpoint
            ):
                with self.subTest(changes=changes):
                    machine.write({**secured, **changes})
                    machine._poll()
                    self.assertEqual(machine.link_state, "offline")
                    self.assertTrue(machine.link_message)

    def test_bambu_printer_pins_its_ca(self):
        printer = fdm_machine(
            self.env,
            "Pinned Bambu",
            link_kind="bambu",
            link_host="127.0.0.1",
            link_serial="01S00A000000001",
            link_ca_certificate=self.certificate,
        )
        settings = printer._connection_settings()
        self.assertEqual(settings.ca_certificate, self.certificate)
        self.assertEqual(settings.security_mode, "None")

    def test_secured_opcua_needs_our_certificate_and_pem_text(self):
        for values in (
            {"link_client_private_key": False},
            {"link_client_private_key": "not a key"},
            {"link_server_certificate": "not a certificate"},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.opcua_machine(4840, **values)

    def test_private_key_is_for_machine_managers_only(self):
        machine = self.opcua_machine(4840)
        operator = new_test_user(
            self.env, "odm_opcua_operator", groups="odm_machine_link.group_odm_machine_operator"
        )
        as_operator = machine.with_user(operator)
        self.assertEqual(as_operator.link_client_certificate, self.certificate)
        with self.assertRaises(AccessError):
            as_operator.read(["link_client_private_key"])
        arch = self.env["odm.machine"].with_user(operator).get_view(view_type="form")["arch"]
        self.assertIn('name="link_client_certificate"', arch)
        self.assertNotIn("link_client_private_key", arch)

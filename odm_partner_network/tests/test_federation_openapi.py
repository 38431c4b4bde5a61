"""docs/network-api-v1.yaml describes every route the controller serves, and holds together."""

from pathlib import Path

import yaml

from odoo.tests import BaseCase, tagged

from odm_engine.network import signing
from odm_engine.network.federation_client import API_PREFIX

from ..controllers.federation import ROUTES, FederationApi

SPEC = Path(__file__).resolve().parents[2] / "docs" / "network-api-v1.yaml"


@tagged("post_install", "-at_install")
class TestFederationOpenApi(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.spec = yaml.safe_load(SPEC.read_text())

    def test_every_route_is_described_with_its_errors(self):
        self.assertEqual(self.spec["openapi"], "3.1.0")
        self.assertEqual(self.spec["info"]["version"], signing.API_VERSION)
        described = {
            (method.upper(), path)
            for path, operations in self.spec["paths"].items()
            for method in operations
        }
        served = {(method, API_PREFIX + path) for method, path in ROUTES}
        self.assertEqual(described, served)
        for path, operations in self.spec["paths"].items():
            for method, operation in operations.items():
                with self.subTest(route=f"{method} {path}"):
                    self.assertIn("401", operation["responses"])
                    headers = {
                        self._resolve(parameter)["name"]
                        for parameter in operation["parameters"]
                        if self._resolve(parameter)["in"] == "header"
                    }
                    self.assertLessEqual(
                        {
                            signing.VERSION_HEADER,
                            signing.KEY_ID_HEADER,
                            signing.TIMESTAMP_HEADER,
                            signing.NONCE_HEADER,
                            signing.SIGNATURE_HEADER,
                        },
                        headers,
                    )

    def test_routes_match_the_controller(self):
        """The controller serves exactly ROUTES, so the check above covers every route."""
        served = {
            (method, route.replace("<string:ref>", "{ref}"))
            for member in vars(FederationApi).values()
            for route in getattr(member, "original_routing", {}).get("routes", ())
            for method in member.original_routing["methods"]
        }
        self.assertEqual(served, {(method, API_PREFIX + path) for method, path in ROUTES})

    def test_every_reference_resolves(self):
        def references(node):
            if isinstance(node, dict):
                if "$ref" in node:
                    yield node["$ref"]
                for value in node.values():
                    yield from references(value)
            elif isinstance(node, list):
                for value in node:
                    yield from references(value)

        for reference in set(references(self.spec)):
            with self.subTest(reference=reference):
                self.assertTrue(self._resolve({"$ref": reference}))

    def _resolve(self, node):
        if "$ref" not in node:
            return node
        target = self.spec
        for key in node["$ref"].removeprefix("#/").split("/"):
            target = target[key]
        return target

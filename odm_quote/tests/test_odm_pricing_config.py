import numpy as np
import trimesh

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import load_part
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.quote import quote_part


def _box_stl(size_mm):
    return trimesh.creation.box(extents=size_mm).export(file_type="stl")


@tagged("post_install", "-at_install")
class TestPricingConfig(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fdm = cls.env.ref("odm_quote.process_fdm")

    def _parameter(self, process, key):
        return process.parameter_ids.filtered(lambda line: line.key == key)

    def test_seeded_records_reproduce_the_engine_defaults(self):
        """The Odoo records are the engine's defaults: same config, same prices."""
        geometry = analyse(load_part(_box_stl((40, 30, 20)), "box.stl", unit="mm")).to_dict()
        odoo_config = self.env["odm.pricing"].engine_config()
        engine_config = default_config()
        self.assertEqual(set(odoo_config.processes), set(engine_config.processes))
        self.assertEqual(odoo_config.processes["FDM"], engine_config.processes["FDM"])
        for process, material in (("FDM", "PLA"), ("SLA", "RESIN-STD"), ("CNC", "AL6061")):
            with self.subTest(process=process):
                from_odoo = quote_part(geometry, process, material, 10, config=odoo_config)
                from_engine = quote_part(geometry, process, material, 10, config=engine_config)
                self.assertAlmostEqual(from_odoo.unit_price, from_engine.unit_price, places=6)

    def test_edited_parameter_changes_the_price(self):
        geometry = analyse(load_part(_box_stl((40, 30, 20)), "box.stl", unit="mm")).to_dict()
        # 50 parts: far above the minimum order value, which would hide the change.
        before = quote_part(
            geometry, "FDM", "PLA", 50, config=self.env["odm.pricing"].engine_config()
        )
        self._parameter(self.fdm, "infill_pct").value = 60
        after = quote_part(
            geometry, "FDM", "PLA", 50, config=self.env["odm.pricing"].engine_config()
        )
        self.assertGreater(after.material_g, before.material_g)
        self.assertGreater(after.unit_price, before.unit_price)

    def test_duplicated_process_keeps_its_tuning_under_a_code_of_its_own(self):
        self._parameter(self.fdm, "infill_pct").value = 35
        copy = self.fdm.copy()
        again = self.fdm.copy()
        self.assertEqual((copy.code, again.code), ("FDM-2", "FDM-3"))
        self.assertEqual(copy.name, "FDM printing (copy)")
        self.assertEqual(self._parameter(copy, "infill_pct").value, 35)
        self.assertEqual(
            {line.key: line.value for line in copy.parameter_ids},
            {line.key: line.value for line in self.fdm.parameter_ids},
        )
        self.assertEqual(copy.engine_params().infill_pct, 35)

    def test_parameters_carry_engine_units_and_explanations(self):
        layer = self._parameter(self.fdm, "layer_height_mm")
        self.assertEqual(layer.unit, "mm")
        self.assertTrue(layer.explanation)
        keys = set(self.fdm.parameter_ids.mapped("key"))
        self.assertIn("volumetric_flow_mm3_s", keys)
        self.assertNotIn("layer_time_s", keys, "SLS parameters do not belong to FDM")

    def test_out_of_range_parameter_is_refused_with_the_engine_reason(self):
        with self.assertRaisesRegex(ValidationError, "perimeters"):
            self._parameter(self.fdm, "perimeters").value = 0

    def test_whole_number_parameter_refuses_fractions(self):
        with self.assertRaisesRegex(ValidationError, "whole number"):
            self._parameter(self.fdm, "perimeters").value = 2.5

    def test_changing_technology_replaces_the_cost_model(self):
        process = self.env["odm.process"].create(
            {"name": "Test powder", "code": "T-PWD", "technology": "sls"}
        )
        self.assertIn("packing_density_pct", process.parameter_ids.mapped("key"))
        process.technology = "cnc"
        keys = process.parameter_ids.mapped("key")
        self.assertIn("stock_allowance_mm", keys)
        self.assertNotIn("packing_density_pct", keys)

    def test_update_adds_parameters_a_newer_engine_introduced(self):
        """A database made by an older engine lacks newer parameters: the update adds them."""
        line = self._parameter(self.fdm, "support_interface_layers")
        expected = line.value
        line.unlink()
        with self.assertRaises(ValidationError):
            self.fdm.engine_params()
        self.env["odm.process"].add_missing_parameters()
        self.assertEqual(self._parameter(self.fdm, "support_interface_layers").value, expected)
        self.assertEqual(self.fdm.engine_params(), default_config().processes["FDM"])

    def test_seeding_again_restores_parameters_a_newer_engine_introduced(self):
        """Re-running the seed (an install over an older database) must not trip on them."""
        self._parameter(self.fdm, "support_interface_pct").unlink()
        self.env["odm.pricing"].seed_defaults()
        self.assertEqual(self.fdm.engine_params(), default_config().processes["FDM"])

    def test_inconsistent_configuration_names_the_problem(self):
        self.env.company.odm_default_lead_time_id = False
        self.env["odm.lead.time.tier"].search([]).write({"lead_time_factor": 2})
        with self.assertRaisesRegex(ValidationError, "default_lead_time"):
            self.env["odm.pricing"].engine_config()

    def test_upload_limits_come_from_settings(self):
        self.env.company.write({"odm_max_upload_mb": 5, "odm_max_triangles": 20_000})
        limits = self.env["odm.pricing"].engine_limits()
        self.assertEqual(limits.max_file_bytes, 5 * 2**20)
        self.assertEqual(limits.max_triangles, 20_000)
        self.assertTrue(np.isfinite(limits.max_file_bytes))

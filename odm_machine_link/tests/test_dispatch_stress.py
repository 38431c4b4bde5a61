from odoo.tests import TransactionCase, tagged

from . import stress


@tagged("post_install", "-at_install")
class TestDispatchStress(TransactionCase):
    """Concurrent dispatchers on committed data never dispatch a work order or a machine
    twice (the figures of a larger run are in docs/benchmarks/dispatch_stress.md)."""

    def test_no_double_dispatch_under_concurrency(self):
        result = stress.run(self.env.cr.dbname, workers=6, rounds=4, machines=3, workorders=5)
        self.assertEqual(result.double_dispatches, 0)
        self.assertGreater(result.dispatched, 0)
        self.assertLessEqual(result.dispatched, result.expected)

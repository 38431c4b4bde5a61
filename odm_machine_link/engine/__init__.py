"""Plain-Python machine engine of odm_machine_link: protocol connectors and parallel polling.

Nothing here imports Odoo, so connectors run in tests, benchmarks and scripts alike.
"""

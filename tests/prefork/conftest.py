"""One prefork Odoo for every test of this directory: a copy of the freshly installed test
database, served with 2 HTTP workers, a cron worker, queue_job's runner and the gevent port,
stopped and dropped at the end. ``./odm test`` runs these after the Odoo suite; by hand, without
pytest-odoo (these tests are plain HTTP clients)::

    .odm/venv/bin/python -m pytest -p no:odoo tests/prefork

Settings (environment): ODM_PREFORK_TEMPLATE (database to copy, default odm_test),
ODM_PREFORK_DATABASE (the copy, default <template>_prefork), ODM_ODOO_CONFIG (default
.odm/odoo.conf), ODM_PREFORK_HTTP_PORT and ODM_PREFORK_GEVENT_PORT (default: free ports).
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.http_fakes import FakeMoonraker
from tests.prefork.http_client import AdminRpc
from tests.prefork.server import DEFAULT_CONFIG, REPO, PreforkOdoo, drop_database, prepare_database

WORKERS = 2
# The fake printer takes minutes per print: the dispatched job is still on the board when read.
PRINT_SECONDS = 600


@dataclass
class Prefork:
    server: PreforkOdoo
    facts: dict
    admin: AdminRpc
    printer: FakeMoonraker

    @property
    def url(self):
        return self.server.base_url


@pytest.fixture(scope="session")
def prefork():
    config = Path(os.environ.get("ODM_ODOO_CONFIG", DEFAULT_CONFIG))
    template = os.environ.get("ODM_PREFORK_TEMPLATE", "odm_test")
    database = os.environ.get("ODM_PREFORK_DATABASE", f"{template}_prefork")
    printer = FakeMoonraker(seconds=PRINT_SECONDS)
    server = PreforkOdoo(
        config,
        database,
        WORKERS,
        REPO / ".odm" / f"{database}.log",
        http_port=int(os.environ.get("ODM_PREFORK_HTTP_PORT", "0")) or None,
        gevent_port=int(os.environ.get("ODM_PREFORK_GEVENT_PORT", "0")) or None,
    )
    with printer.serving():
        try:
            facts = prepare_database(
                config, template, database, portal_users=2, moonraker_port=printer.port
            )
            server.start()
            yield Prefork(server, facts, AdminRpc(server.base_url, database), printer)
        finally:
            server.stop()
            drop_database(config, database)

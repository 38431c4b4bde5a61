"""Copies an installed database for a prefork Odoo and adds what the HTTP flows need; or drops
such a copy. Runs in Odoo's environment, called by tests/prefork/server.py:

    .odm/venv/bin/python -m tests.prefork.prepare --config C --template T --database D
        [--portal-users N] [--moonraker-port P]
    .odm/venv/bin/python -m tests.prefork.prepare --config C --drop D

The copy is Odoo's own duplication (database and filestore, a new database uuid). Printed on
one line after ``PREFORK-FIXTURES``, as JSON: the logins of N portal users, each of its own
customer company (password = login), the FDM process and its materials, an API key of the
administrator, a federation peer (key id, shared secret, its API key) and, with a Moonraker
port, a ready work order and the only linked machine that can run it.
"""

import argparse
import json
import secrets

import odoo
from odoo.service import db as db_service

from tests.prefork.server import FIXTURES_MARK


def portal_users(env, count):
    """``count`` portal users, each of a customer company of its own (quotas count per company)."""
    from odoo.tests import new_test_user  # noqa: PLC0415 (test mode is on once parsed)

    logins = []
    for index in range(count):
        login = f"prefork-portal-{index}"
        company = env["res.partner"].create(
            {"name": f"Prefork Customer {index} Ltd", "is_company": True}
        )
        contact = env["res.partner"].create(
            {"name": f"Prefork Buyer {index}", "parent_id": company.id, "email": f"{login}@x.test"}
        )
        new_test_user(env, login=login, groups="base.group_portal", partner_id=contact.id)
        logins.append(login)
    return logins


def federation_peer(env, database):
    """A client shop allowed to call our federation API (what it calls us with)."""
    from odoo.addons.odm_partner_network.tests.test_federation_api import (  # noqa: PLC0415
        connect_peer,
    )

    shop = env["res.partner"].create({"name": "Prefork Client Shop", "is_company": True})
    secret = secrets.token_urlsafe(24)
    peer, api_key = connect_peer(
        env,
        shop,
        "prefork-client-shop",
        secret,
        base_url="https://client-shop.example",
        database=database,
    )
    return {"key_id": peer.key_id, "secret": secret, "api_key": api_key}


def dispatchable_work(env, moonraker_port):
    """A ready work order and a Moonraker printer on ``moonraker_port``, the only linked one.

    The dispatch cron is switched off in this copy: the test dispatches through the board's
    button, and a cron run a moment earlier would take the work first.
    """
    from odoo.addons.odm_machine_link.tests.common import (  # noqa: PLC0415
        fdm_machine,
        isolate_from_demo_machines,
        ready_box_workorder,
    )

    isolate_from_demo_machines(env)
    env.ref("odm_machine_link.ir_cron_dispatch").active = False
    workorder = ready_box_workorder(env)
    machine = fdm_machine(
        env,
        "Prefork Klipper",
        link_kind="moonraker",
        link_host="127.0.0.1",
        link_port=moonraker_port,
    )
    machine._poll()
    return {"workorder_id": workorder.id, "machine_id": machine.id}


def fixtures(env, args):
    fdm = env.ref("odm_quote.process_fdm")
    admin = env.ref("base.user_admin")
    facts = {
        "portal_users": portal_users(env, args.portal_users),
        "fdm_process_id": fdm.id,
        "fdm_material_ids": fdm.material_ids.ids,
        "admin_api_key": env["res.users.apikeys"]
        .with_user(admin)
        ._generate(None, "prefork tests", None),
        "peer": federation_peer(env, args.database),
    }
    if args.moonraker_port:
        facts.update(dispatchable_work(env, args.moonraker_port))
    return facts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--template")
    parser.add_argument("--database")
    parser.add_argument("--drop")
    parser.add_argument("--portal-users", type=int, default=0)
    parser.add_argument("--moonraker-port", type=int)
    args = parser.parse_args()
    # Test mode: the records are made with the addons' test helpers (odoo.tests).
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn", "--test-enable"])
    existing = odoo.service.db.list_dbs(True)
    if args.drop:
        if args.drop in existing:
            db_service.exp_drop(args.drop)
        return
    if args.database in existing:
        db_service.exp_drop(args.database)
    db_service.exp_duplicate_database(args.template, args.database)
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        facts = fixtures(env, args)
        cr.commit()
    print(FIXTURES_MARK + json.dumps(facts), flush=True)


if __name__ == "__main__":
    main()

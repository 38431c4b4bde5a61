"""Upgrading a database made by the previous release, as Odoo does it (``-u`` + migrations/).

The previous release's four addons (taken from git at ``PREVIOUS_RELEASE``) install a fresh
database with their demo data; one cost-model parameter is deleted, as an older engine would
have lacked it; then this checkout's addons update it. The update must log no ERROR, reach the
new versions, and its migration must restore the parameter so the database keeps quoting.
It runs concurrently with the install-path tests (``background_job``, tests/background_jobs.py).
"""

import ast
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.test_install import ADDONS, LOG_LINE
from tests.test_install_paths import _odoo_source

ROOT = Path(__file__).resolve().parent.parent
# The last release before the engines became the odm_engine distribution (addons 18.0.1.x).
PREVIOUS_RELEASE = "bd7a45c713da3c42b2f755cd51cd93d1d8beb43a"
# odm_quote's migrations an upgrade from PREVIOUS_RELEASE runs, in order.
MIGRATIONS = sorted(path.name for path in (ROOT / "odm_quote" / "migrations").iterdir())
CHECK = """
modules = env["ir.module.module"].search([("name", "like", "odm_%")])
versions = {m.name: m.latest_version for m in modules}
fdm = env.ref("odm_quote.process_fdm")
params = fdm.engine_params()
print("UPGRADE OK", sorted(versions.items()), params.support_interface_layers)
"""


def _version(addon):
    """The version this checkout's manifest of ``addon`` declares."""
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())["version"]


def _previous_release(where):
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"], cwd=ROOT, check=False
    )
    assert found.returncode == 0, f"the previous release {PREVIOUS_RELEASE} is not in this clone"
    archive = subprocess.run(
        ["git", "archive", PREVIOUS_RELEASE, *ADDONS], cwd=ROOT, check=True, capture_output=True
    ).stdout
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    return where


def _config(path, config, addons_dir, data_dir):
    source = _odoo_source(config)
    path.write_text(
        "[options]\n"
        f"addons_path = {source / 'odoo' / 'addons'},{source / 'addons'},{addons_dir}\n"
        f"data_dir = {data_dir}\n"
        + "".join(
            f"{key} = {config[key]}\n"
            for key in ("db_host", "db_port", "db_user", "db_password")
            if key in config
        )
        + "limit_memory_hard = 0\nserver_wide_modules = base,web,queue_job\n"
    )
    return path


def _problems(log, levels):
    return [
        line
        for line in log.read_text().splitlines()
        if (match := LOG_LINE.match(line)) and match["level"] in levels
    ]


def _upgrade_from_previous_release(tmp_path, main_config):
    """Installs the previous release into a new database, upgrades it and checks the result."""
    old = _previous_release(tmp_path / "old")
    data = tmp_path / "data"
    database = f"odm_upgrade_{uuid.uuid4().hex[:8]}"
    old_conf = _config(tmp_path / "old.conf", main_config, old, data)
    new_conf = _config(tmp_path / "new.conf", main_config, ROOT, data)
    odoo = [sys.executable, "-m", "odoo"]
    # The previous release imported its engines as top-level `odm_quote.engine`.
    old_env = dict(os.environ, PYTHONPATH=str(old))
    try:
        install_log = tmp_path / "install.log"
        subprocess.run(
            [
                *odoo,
                "-c",
                old_conf,
                "-d",
                database,
                "-i",
                ",".join(ADDONS),
                "--stop-after-init",
                f"--logfile={install_log}",
                "--log-level=warn",
            ],
            env=old_env,
            check=True,
            timeout=1800,
            cwd=tmp_path,
        )
        assert not _problems(install_log, {"ERROR", "CRITICAL"})
        subprocess.run(
            [
                "psql",
                "-h",
                main_config["db_host"],
                "-p",
                main_config["db_port"],
                "-U",
                main_config["db_user"],
                "-d",
                database,
                "-c",
                "DELETE FROM odm_process_parameter WHERE key = 'support_interface_layers'",
            ],
            env=dict(os.environ, PGPASSWORD=main_config.get("db_password", "")),
            check=True,
            capture_output=True,
        )
        upgrade_log = tmp_path / "upgrade.log"
        subprocess.run(
            [
                *odoo,
                "-c",
                new_conf,
                "-d",
                database,
                "-u",
                ",".join(ADDONS),
                "--stop-after-init",
                f"--logfile={upgrade_log}",
                "--log-level=info",
            ],
            check=True,
            timeout=1800,
            cwd=tmp_path,
        )
        problems = _problems(upgrade_log, {"WARNING", "ERROR", "CRITICAL"})
        assert not problems, "the upgrade logged:\n" + "\n".join(problems)
        for version in MIGRATIONS:
            assert re.search(
                rf"module odm_quote: Running migration \[{re.escape(version)}>?\] post-migrate",
                upgrade_log.read_text(),
            ), f"odm_quote's {version} migration did not run"
        shell = subprocess.run(
            [*odoo, "shell", "-c", new_conf, "-d", database, "--no-http"],
            input=CHECK,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
            cwd=tmp_path,
        )
        assert "UPGRADE OK" in shell.stdout, shell.stdout[-3000:] + shell.stderr[-3000:]
        for addon in ADDONS:
            assert f"('{addon}', '{_version(addon)}')" in shell.stdout, shell.stdout
    finally:
        subprocess.run(
            [*odoo, "db", "-c", old_conf, "drop", database],
            check=False,
            capture_output=True,
            cwd=tmp_path,
        )


@pytest.mark.background_job.with_args(_upgrade_from_previous_release)
def test_upgrade_from_previous_release(background_job):
    background_job.result()

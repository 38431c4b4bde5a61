"""The README's "Installing into an existing Odoo" steps, run exactly as written.

Each way (addon folders on ``addons_path`` + pip, or the built wheels) runs in a fresh
virtualenv that holds only Odoo 18.0, from a copy of the repository's files, so nothing of this
checkout is on ``sys.path``. Then a fresh database installs the four addons with no WARNING or
ERROR line, and a smoke run in ``odoo shell`` quotes a corpus part and confirms the order into
a manufacturing order. ``./odm test`` runs it; it takes a few minutes per way.

Odoo's own requirements are installed once per session, into a template virtualenv each way gets
a copy of, and both ways run concurrently with the upgrade test (``background_job``,
tests/background_jobs.py).
"""

import functools
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pytest

from tests.test_install import ADDONS, LOG_LINE

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".odm"
SECTION = "## Installing the addons into an existing Odoo 18.0"
CORPUS_PART = ROOT.parent / "shared" / "corpus" / "meshes" / "angle_block.STL"
# Both ways copy the one template virtualenv; the first to need it builds it.
_TEMPLATE_LOCK = threading.Lock()

SMOKE = textwrap.dedent(
    """
    import base64, sys
    import odm_engine
    import odoo.addons.odm_quote as addon
    assert "{root}" not in odm_engine.__file__, odm_engine.__file__
    assert "{root}" not in addon.__file__, addon.__file__
    order = env["sale.order"].create({{"partner_id": env.ref("base.res_partner_12").id}})
    attachment = env["ir.attachment"].create(
        {{"name": "{name}", "datas": base64.b64encode(open("{part}", "rb").read())}}
    )
    wizard = env["odm.part.upload.wizard"].create(
        {{"order_id": order.id, "attachment_ids": [(6, 0, attachment.ids)], "quantity": 3}}
    )
    wizard.action_add_parts()
    line = order.order_line.filtered("odm_part_id")
    assert len(line) == 1 and line.price_subtotal > 0, line.read()
    order.action_confirm()
    productions = env["mrp.production"].search([("origin", "=", order.name)])
    assert productions and sum(productions.mapped("product_qty")) == 3, productions.read()
    env.cr.commit()
    print("SMOKE OK", order.name, line.price_subtotal, productions.mapped("name"))
    """
)


def _readme_blocks():
    """The two shell blocks of the README's existing-Odoo section, in order."""
    text = (ROOT / "README.md").read_text()
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 2, "the README's existing-Odoo section should hold two ways"
    return blocks


def _odoo_source(config):
    first = config["addons_path"].split(",")[0]  # <src>/odoo/addons
    return Path(first).parent.parent


def _fresh_odoo_venv(where, config):
    """A virtualenv holding Odoo 18.0 as ./odm builds it, and nothing of this repository.

    Installing Odoo's requirements takes most of a minute, so it is done once per session, into
    a template beside ``where`` (in the session's temporary directory), and each way gets a copy
    whose scripts are pointed at the copy.
    """
    template = where.parent / "odoo-only-venv"
    with _TEMPLATE_LOCK:
        if not template.is_dir():
            try:
                _install_odoo_venv(template, config)
            except BaseException:
                shutil.rmtree(template, ignore_errors=True)
                raise
    venv = where / "venv"
    shutil.copytree(template, venv, symlinks=True)
    old, new = str(template).encode(), str(venv).encode()
    for path in [*(venv / "bin").iterdir(), venv / "pyvenv.cfg"]:
        if path.is_file() and not path.is_symlink() and old in (data := path.read_bytes()):
            path.write_bytes(data.replace(old, new))
    return venv


def _install_odoo_venv(venv, config):
    """A new virtualenv with Odoo 18.0 installed as ./odm installs it."""
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--quiet", "--disable-pip-version-check"]
    env = dict(os.environ, PIP_BUILD_CONSTRAINT=str(STATE / "build-constraints.txt"))
    subprocess.run([*pip, "install", "pip==26.3", "setuptools<70", "wheel"], check=True, env=env)
    subprocess.run(
        [*pip, "install", "-r", str(STATE / "odoo-requirements.txt")], check=True, env=env
    )
    subprocess.run(
        [
            *pip,
            "install",
            "--no-deps",
            "--no-build-isolation",
            "-e",
            str(_odoo_source(config)),
            "--config-settings",
            "editable_mode=compat",
        ],
        check=True,
    )


def _copy_of_repository(where):
    """The repository's tracked files, so no build output lands in the checkout."""
    clone = where / "clone"
    files = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = clone / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return clone


def _run_way(tmp_path, config, *, way, extra_addons):
    """Runs the README's block number ``way`` and checks the database it installed."""
    block = _readme_blocks()[way]
    venv = _fresh_odoo_venv(tmp_path, config)
    clone = _copy_of_repository(tmp_path)
    your_addons = tmp_path / "your-addons"
    your_addons.mkdir()
    database = f"odm_install_way_{uuid.uuid4().hex[:8]}"
    addons_path = [config["addons_path"].split(",")[0], str(_odoo_source(config) / "addons")]
    if extra_addons:
        addons_path.append(str(your_addons))
    odoo_conf = tmp_path / "odoo.conf"
    odoo_conf.write_text(
        "[options]\n"
        f"addons_path = {','.join(addons_path)}\n"
        f"data_dir = {tmp_path / 'data'}\n"
        + "".join(
            f"{key} = {config[key]}\n"
            for key in ("db_host", "db_port", "db_user", "db_password")
            if key in config
        )
        + "limit_memory_hard = 0\nserver_wide_modules = base,web,queue_job\n"
    )
    log = tmp_path / "install.log"
    env = dict(
        os.environ,
        PATH=f"{venv / 'bin'}:{os.environ['PATH']}",
        VIRTUAL_ENV=str(venv),
        PIP_BUILD_CONSTRAINT=str(STATE / "build-constraints.txt"),
        # pip's bytecode compilation of every installed file (scipy, ortools...) took about
        # 40 s a way; Python compiles what Odoo imports anyway.
        PIP_COMPILE="no",
        ODOO_CONF=str(odoo_conf),
        DB=database,
        YOUR_ADDONS=str(your_addons),
    )
    env.pop("PYTHONPATH", None)
    script = block.replace(
        "--stop-after-init", f"--stop-after-init --logfile={log} --log-level=info"
    )
    try:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            check=False,
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert result.returncode == 0, _tail(result.stdout + result.stderr) + _tail(
            log.read_text() if log.exists() else ""
        )
        problems = [
            line
            for line in log.read_text().splitlines()
            if (match := LOG_LINE.match(line))
            and match["level"] in {"WARNING", "ERROR", "CRITICAL"}
        ]
        assert not problems, "installing logged:\n" + "\n".join(problems)
        for addon in ADDONS:
            assert re.search(rf"Loading module {addon} \(\d+/\d+\)", log.read_text())
        part = CORPUS_PART if CORPUS_PART.is_file() else None
        if part is None:
            part = tmp_path / "block.stl"
            _write_box_stl(part)
        smoke = SMOKE.format(root=ROOT, name=part.name, part=part)
        shell = subprocess.run(
            ["odoo", "shell", "-c", str(odoo_conf), "-d", database, "--no-http"],
            input=smoke,
            check=False,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert "SMOKE OK" in shell.stdout, _tail(shell.stdout + shell.stderr)
    finally:
        subprocess.run(
            [
                "dropdb",
                "--if-exists",
                "-h",
                config["db_host"],
                "-p",
                config["db_port"],
                "-U",
                config["db_user"],
                database,
            ],
            env=dict(os.environ, PGPASSWORD=config.get("db_password", "")),
            check=False,
            capture_output=True,
        )


def _tail(output, lines=40):
    """The end of a command's output, without pip's notes about unreadable local indexes."""
    kept = [line for line in output.splitlines() if "WARNING: Location" not in line]
    return "\n".join(kept[-lines:]) + "\n"


def _write_box_stl(path):
    """A 40 x 30 x 20 mm block as ASCII STL, when the shared corpus is absent."""
    corners = [(x, y, z) for x in (0, 40) for y in (0, 30) for z in (0, 20)]
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    facets = []
    for a, b, c, d in quads:
        for tri in ((a, b, c), (a, c, d)):
            points = "".join(f"vertex {x} {y} {z}\n" for x, y, z in (corners[i] for i in tri))
            facets.append(f"facet normal 0 0 0\nouter loop\n{points}endloop\nendfacet\n")
    path.write_text("solid block\n" + "".join(facets) + "endsolid block\n")


@pytest.mark.background_job.with_args(functools.partial(_run_way, way=0, extra_addons=True))
def test_addon_folders_on_addons_path(background_job):
    background_job.result()


@pytest.mark.background_job.with_args(functools.partial(_run_way, way=1, extra_addons=False))
def test_built_wheels(background_job):
    background_job.result()

"""Fixtures of the repository-level tests: the Odoo configuration they run against, and the
concurrent jobs of the tests that build Odoo databases from scratch (a plugin of the root
conftest, so the jobs can start with the first test of the whole run).

Installing the four addons into a fresh database, in a fresh environment or from the previous
release, takes minutes and keeps mostly one core busy (pip, then one Odoo process). A test marked
``background_job(job)`` hands that work to ``job(workdir, main_config)``: the jobs of every
selected marked test start at once with the run's first test, so they share the machine's cores
with the rest of the suite instead of running alone at its end, and each marked test then waits
for its own job, whose assertions fail it as if they ran in the test.
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "background_job(job): job(workdir, main_config) runs concurrently with the other marked "
        "tests' jobs; the test waits for it through the background_job fixture",
    )


def _odoo_config_values(path):
    """The ``key = value`` lines of an Odoo configuration file."""
    values = {}
    for line in Path(path).read_text().splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            values[key.strip()] = value.strip()
    return values


@pytest.fixture(scope="session")
def main_config(request):
    """The values of the Odoo configuration the suite runs with (``--odoo-config``)."""
    path = request.config.getoption("--odoo-config", default=None)
    if not path:
        pytest.fail("run through ./odm test, or pass --odoo-config")
    return _odoo_config_values(path)


@pytest.fixture(scope="session")
def _background_jobs(request, main_config, tmp_path_factory):
    """Starts the job of every selected ``background_job`` test, each in its own directory."""
    jobs = {
        item.nodeid: (marker.args[0], item.name)
        for item in request.session.items
        if (marker := item.get_closest_marker("background_job"))
    }
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="odm-job") as pool:
        futures = {
            nodeid: pool.submit(job, tmp_path_factory.mktemp(name), main_config)
            for nodeid, (job, name) in jobs.items()
        }
        yield futures


@pytest.fixture
def background_job(request, _background_jobs):
    """The future of this test's job: ``background_job.result()`` waits for it."""
    return _background_jobs[request.node.nodeid]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The marked tests go last (in their order): their jobs run meanwhile, beside the rest."""
    items.sort(key=lambda item: item.get_closest_marker("background_job") is not None)


@pytest.fixture(scope="session", autouse=True)
def _start_background_jobs(request):
    """Starts the selected marked tests' jobs before the first test of the run, whatever it is."""
    if any(item.get_closest_marker("background_job") for item in request.session.items):
        request.getfixturevalue("_background_jobs")

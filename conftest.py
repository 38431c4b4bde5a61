"""Suite-wide pytest rules of ODM for Odoo."""

import pytest

pytest_plugins = ["pytester", "tests.peers.fixtures", "tests.background_jobs"]

# Odoo skips a browser test when it cannot start Chromium; for us a tour that did not run is a
# failed tour, so these skips are turned into failures.
BROWSER_SKIP_MARKERS = ("chrome", "chromium", "websocket-client", "devtools")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or call.excinfo is None:
        return
    reason = str(call.excinfo.value).lower()
    if any(marker in reason for marker in BROWSER_SKIP_MARKERS):
        report.outcome = "failed"
        report.longrepr = f"browser test could not run (counted as a failure): {reason}"

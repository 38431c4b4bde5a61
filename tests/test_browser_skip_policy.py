"""A browser test that Odoo skips because Chromium cannot start must fail the suite."""

from pathlib import Path

ROOT_CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"

SKIPPING_TESTS = """
import unittest

def test_chrome_missing():
    raise unittest.SkipTest("Chrome executable not found")

def test_chrome_unreachable():
    raise unittest.SkipTest("Error during Chrome headless connection")

def test_unrelated_skip():
    raise unittest.SkipTest("needs the mesh corpus")
"""


def test_browser_skips_fail_other_skips_stay_skips(pytester, monkeypatch):
    # The root conftest loads the peers' fixtures from this repository's tests package.
    monkeypatch.setenv("PYTHONPATH", str(ROOT_CONFTEST.parent))
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makepyfile(test_tours=SKIPPING_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:odoo", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2, skipped=1)
    result.stdout.fnmatch_lines(["*counted as a failure*chrome executable not found*"])

"""Sentences with their numbers kept apart, so that an application formats them for its reader.

A DFM finding carries ``message`` (the sentence in English, numbers formatted here) and, for
the applications that format numbers in their reader's language (Odoo's portal, quotations),
``template`` (the same sentence with ``%(name)s`` placeholders) and ``params``: each a number as
``{"value": 9760.2, "digits": 0}`` (the decimals to show) or a text (a process's name). Counts
choose their sentence here (``plural``), so "1 region" and "2 regions" are both right.
"""

from typing import Any


def number(value: float, digits: int = 0) -> dict[str, Any]:
    """A parameter that is a number, shown with ``digits`` decimals."""
    return {"value": value, "digits": digits}


def decimals(value: float) -> int:
    """The decimals of a setting as it was written (0.8 -> 1, 1 -> 0), three at most."""
    text = f"{value:g}"
    return min(len(text.split(".")[1]), 3) if "." in text else 0


def plural(count: int, one: str, other: str) -> str:
    """The sentence for ``count`` things: ``one`` for exactly one, ``other`` otherwise."""
    return one if count == 1 else other


def render(template: str, params: dict[str, Any]) -> str:
    """The sentence in English: thousands separated by commas, a point before decimals."""
    return template % {
        name: f"{value['value']:,.{value['digits']}f}" if isinstance(value, dict) else value
        for name, value in params.items()
    }


def finding(code: str, severity: str, template: str, **params: Any) -> dict[str, Any]:
    """A finding as the analysis reports it: its sentence, and the template and parameters
    it was made of."""
    return {
        "code": code,
        "severity": severity,
        "message": render(template, params),
        "template": template,
        "params": params,
    }

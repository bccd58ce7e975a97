"""Validation of 特定健診 XML against the MHLW schemas (XSD) shipped in resources/xsd/."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from lxml import etree

from dhdesk.core.issues import Issue

SCHEMA_SET = "mhlw-2024"
MAX_ERRORS_PER_FILE = 5
"""A broken document can produce hundreds of schema errors; the first few say enough to the clinic."""

_ATTRIBUTE = re.compile(r"attribute '([^']+)'")
"""How libxml2 names the attribute whose value breaks the schema ("Element 'x', attribute 'value': …")."""


@cache
def _schema(name: str) -> etree.XMLSchema:
    path = resources.files("dhdesk") / "resources" / "xsd" / SCHEMA_SET / f"{name}_V08.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def schema_issues(data: bytes, schema: str, source: str) -> list[Issue]:
    """Every way `data` breaks the schema `schema` (hc08 健診, ix08 index…), as errors naming the line."""
    try:
        document = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        return [Issue(source, None, "XSD", "xsd_unreadable", f"XML として読めません: {error}")]
    validator = _schema(schema)
    if validator.validate(document):
        return []
    errors = list(validator.error_log)
    issues = [
        Issue(source, None, "XSD", "xsd_invalid", f"様式(XSD {schema}_V08)に合いません（{e.line}行目）: {e.message}",
              value=_written(document, e))
        for e in errors[:MAX_ERRORS_PER_FILE]
    ]
    if len(errors) > MAX_ERRORS_PER_FILE:
        issues.append(Issue(source, None, "XSD", "xsd_invalid", f"…ほか {len(errors) - MAX_ERRORS_PER_FILE} 件の様式違反"))
    return issues


def _written(document: etree._Element, error: etree._LogEntry) -> str | None:
    """The attribute value the error is about, as the document writes it; None for a misplaced element."""
    named = _ATTRIBUTE.search(error.message or "")
    if named is None or not error.path:
        return None
    try:
        found = document.xpath(error.path)
    except etree.XPathError:
        return None
    return (found[0].get(named.group(1)) or None) if found and isinstance(found[0], etree._Element) else None

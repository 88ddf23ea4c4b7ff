"""Is a document valid CAP 1.2? The official XSD (shipped in risks/schemas/, read once, offline) and the rules of
CAP 1.2's text that the XSD cannot express. Used by the tests on everything this service publishes."""

import re
from functools import cache
from pathlib import Path

from lxml import etree

from .cap_parse import CAP_NS, CapError, parse_xml

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "CAP-v1.2.xsd"

_FORBIDDEN = re.compile(r"[\s,<&]")  # CAP 1.2, 3.2.1: identifier and sender never contain these
_POINT = r"-?\d{1,2}(?:\.\d+)?,-?\d{1,3}(?:\.\d+)?"
_CIRCLE = re.compile(rf"{_POINT} \d+(?:\.\d+)?")


@cache
def cap_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser=parser))


def cap_problems(data: bytes) -> list[str]:
    """Every way `data` fails CAP 1.2: the XSD's errors, then the text's rules; empty when valid."""
    try:
        root = parse_xml(data)
    except CapError as error:
        return [str(error)]
    schema = cap_schema()
    if not schema.validate(root):
        return [f"line {error.line}: {error.message}" for error in schema.error_log]
    return _rule_problems(root)


def _rule_problems(root: etree._Element) -> list[str]:
    problems = [f"<{name}> contains a space, comma, < or &" for name in ("identifier", "sender")
                if _FORBIDDEN.search(root.findtext(f"{{{CAP_NS}}}{name}") or "")]  # fmt: skip
    msg_type = root.findtext(f"{{{CAP_NS}}}msgType")
    references = (root.findtext(f"{{{CAP_NS}}}references") or "").split()
    if msg_type in ("Update", "Cancel") and not references:
        problems.append(f"a {msg_type} names no earlier message in <references>")
    problems += [f"reference {each!r} is not sender,identifier,sent" for each in references if each.count(",") != 2]
    for polygon in root.iter(f"{{{CAP_NS}}}polygon"):
        problems += _polygon_problems((polygon.text or "").split())
    problems += [f"circle {circle.text!r} is not 'lat,lon radius'" for circle in root.iter(f"{{{CAP_NS}}}circle")
                 if not _CIRCLE.fullmatch((circle.text or "").strip())]  # fmt: skip
    return problems


def _polygon_problems(points: list[str]) -> list[str]:
    """CAP 1.2, 3.2.4: at least four WGS 84 "lat,lon" pairs, the first and last the same."""
    if len(points) < 4:
        return [f"polygon of {len(points)} points (at least 4)"]
    if points[0] != points[-1]:
        return ["polygon not closed (its first and last points differ)"]
    bad = [point for point in points if not re.fullmatch(_POINT, point)]
    return [f"polygon point {point!r} is not 'lat,lon'" for point in bad]

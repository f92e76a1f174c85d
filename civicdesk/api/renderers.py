"""JSON and XML exactly as GeoReport v2 writes them.

XML: UTF-8 with its declaration; the root and item element names come from the view
(`<services><service>`, `<service_requests><request>`, `<service_definition>`, `<discovery>`),
errors are `<errors><error>`; nested lists are named after their field (`<attributes><attribute>`,
`<values><value>`, `<endpoints><endpoint>`, `<formats><format>`, `<media_urls><media_url>`);
booleans are `true`/`false` and an empty value is an empty element.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from rest_framework.renderers import BaseRenderer, JSONRenderer

# The element name of one item of a nested list, by the list's field name.
ITEM_NAMES = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "media_urls": "media_url",
}
NO_ATTRIBUTES = AttributesImpl({})


class Open311JSONRenderer(JSONRenderer):
    format = "json"
    ensure_ascii = False
    charset = "utf-8"
    compact = True


def _xml_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _strip_control(text: str) -> str:
    # Characters XML 1.0 cannot carry at all (a resident's text may hold them); tab/CR/LF stay.
    return "".join(ch for ch in text if ch >= " " or ch in "\t\n\r")


class Open311XMLRenderer(BaseRenderer):
    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> bytes:
        context = renderer_context or {}
        response = context.get("response")
        view = context.get("view")
        if response is not None and getattr(response, "exception", False):
            root, item = "errors", "error"
        else:
            root = getattr(view, "xml_root", "root")
            item = getattr(view, "xml_item", "item")
        stream = io.StringIO()
        xml = XMLGenerator(stream, encoding="utf-8", short_empty_elements=True)
        xml.startDocument()
        xml.startElement(root, NO_ATTRIBUTES)
        if isinstance(data, list):
            for element in data:
                self._write(xml, item, element)
        elif isinstance(data, dict):
            self._write_fields(xml, data)
        xml.endElement(root)
        xml.endDocument()
        return stream.getvalue().encode("utf-8")

    def _write_fields(self, xml: XMLGenerator, data: dict[str, Any]) -> None:
        for key, value in data.items():
            if isinstance(value, list):
                xml.startElement(key, NO_ATTRIBUTES)
                for element in value:
                    self._write(xml, ITEM_NAMES.get(key, "item"), element)
                xml.endElement(key)
            else:
                self._write(xml, key, value)

    def _write(self, xml: XMLGenerator, name: str, value: Any) -> None:
        xml.startElement(name, NO_ATTRIBUTES)
        if isinstance(value, dict):
            self._write_fields(xml, value)
        elif value is not None:
            xml.characters(_strip_control(_xml_text(value)))
        xml.endElement(name)

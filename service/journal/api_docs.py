"""The API's documentation page at ``/schema`` (issue 9 item 11): our own small page listing the
operations of the OpenAPI schema — each with its request and answer bodies — built from the
schema itself, so it never falls behind. Litestar's ready-made pages load their scripts from a
CDN; the journal must work without the internet, so none of them is used. The schema itself is
at ``/schema/openapi.json`` (Litestar's JSON plugin). Both are public: they hold no data."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

from service.web import render_text

METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(schema: dict, ref: dict) -> dict:
    """A ``$ref`` of ``#/components/schemas/...`` as the component it names."""
    path = ref.get("$ref", "")
    if not path.startswith("#/components/schemas/"):
        return ref
    return schema.get("components", {}).get("schemas", {}).get(path.rsplit("/", 1)[1], {})


def _body(schema: dict, content: dict | None) -> dict | None:
    """The JSON body of a request or an answer: its name, description and fields."""
    media = (content or {}).get("application/json")
    if not media:
        return None
    ref = media.get("schema", {})
    name = ref.get("$ref", "").rsplit("/", 1)[-1]
    target = _resolve(schema, ref)
    fields = []
    for field, spec in target.get("properties", {}).items():
        fields.append({"name": field, "required": field in target.get("required", []),
                       "description": spec.get("description", ""),
                       "type": json.dumps(spec, ensure_ascii=False, sort_keys=True)})
    return {"name": name, "description": target.get("description", ""), "fields": fields}


def operations(schema: dict) -> list[dict]:
    """Every operation of the schema, in path order, with its bodies."""
    found = []
    for path, item in sorted(schema.get("paths", {}).items()):
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            answers = [{"status": status, "description": spec.get("description", ""),
                        "body": _body(schema, spec.get("content"))}
                       for status, spec in sorted(op.get("responses", {}).items())]
            found.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                          "description": op.get("description", ""),
                          "request": _body(schema, op.get("requestBody", {}).get("content")),
                          "answers": answers})
    return found


class ApiDocsPage(OpenAPIRenderPlugin):
    """``/schema``: the page a developer of another program reads (Russian, local assets only)."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema.get("info", {})
        return render_text("journal/api.html", request, title=info.get("title", ""),
                           description=info.get("description", ""), version=info.get("version", ""),
                           operations=operations(openapi_schema)).encode()

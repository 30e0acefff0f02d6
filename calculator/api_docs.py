"""/api/: the JSON API for people, rendered on the server from the OpenAPI document /api/v1/openapi.json
serves (calculator/openapi.py), so the two cannot disagree: each operation, its query parameters with
their types, limits and allowed values, an example request, its answers and the shape of each."""

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlencode

from django.template.response import TemplateResponse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from config import http_cache

from . import openapi

Type = tuple[tuple[str, str], ...]  # (text, schema name to link to, or "")


@dataclass(frozen=True)
class Field:
    """A query parameter or a property of an answer."""

    name: str
    type: Type
    note: str  # "required" (a parameter that must be given), "optional" (a key that may be missing)
    rules: str  # limits and allowed values, in words
    description: SafeString


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: SafeString
    parameters: tuple[Field, ...]
    example: str  # a request that answers 200, from the parameters' examples
    responses: tuple[tuple[str, str, Type], ...]  # status, description, answer type

    @property
    def anchor(self) -> str:
        return self.path.strip("/").replace("/", "-").replace(".", "-")


@dataclass(frozen=True)
class Shape:
    name: str
    description: str
    fields: tuple[Field, ...]


def prose(text: str) -> SafeString:
    """A description as HTML: escaped, its `backticked` names as code, as the schema writes them."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text)))  # escaped just above


def _ref_name(schema: dict) -> str:
    return schema["$ref"].rsplit("/", 1)[-1]


def type_of(schema: dict) -> Type:
    """A schema's type in words, with the named schemas it is made of (to link to)."""
    if "$ref" in schema:
        return ((_ref_name(schema), _ref_name(schema)),)
    if "const" in schema:
        return ((f'"{schema["const"]}"', ""),)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        parts: list[tuple[str, str]] = []
        for i, alternative in enumerate(alternatives):
            parts += [(" or ", "")] if i else []
            parts += type_of(alternative)
        return tuple(parts)
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return type_of({"anyOf": [{**schema, "type": k} for k in kind]})
    if kind == "array":
        return (("array of ", ""), *type_of(schema.get("items", {})))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return (("object of ", ""), *type_of(schema["additionalProperties"]))
    return ((kind, ""),)


RULES = (
    ("minimum", "at least {}"),
    ("exclusiveMinimum", "more than {}"),
    ("maximum", "at most {}"),
    ("maxLength", "at most {} characters"),
    ("minItems", "at least {} values"),
    ("maxItems", "at most {} values"),
    ("pattern", "matches {}"),
)


def rules(schema: dict) -> str:
    """The schema's limits and allowed values in words: 'at least 1; at most 1024', 'one of: a, b'."""
    said = [text.format(schema[key]) for key, text in RULES if key in schema]
    said = [s.replace("at least 1 values", "at least 1 value") for s in said]
    if schema.get("type") == "array" and schema.get("items"):
        inner = rules(schema["items"])
        said += [f"each {inner}"] if inner else []
    enum = [v for v in schema.get("enum", []) if v != ""]
    if enum:
        said.append("one of: " + ", ".join(str(v) for v in enum))
    for alternative in schema.get("anyOf", []):
        inner = rules(alternative)
        said += [inner] if inner else []
    return "; ".join(said)


def parameter(param: dict) -> Field:
    return Field(
        name=param["name"],
        type=type_of(param["schema"]),
        note="required" if param.get("required") else "",
        rules=rules(param["schema"]),
        description=prose(param.get("description", "")),
    )


def example(path: str, params: list[dict]) -> str:
    """The path with every parameter that has an example (a list repeats the parameter)."""
    pairs = []
    for param in params:
        value = param.get("example")
        if value is None:
            continue
        pairs += [(param["name"], v) for v in (value if isinstance(value, list) else [value])]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def operations(document: dict) -> list[Operation]:
    responses = document["components"]["responses"]
    found = []
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            answers = []
            for status, response in op["responses"].items():
                response = responses[_ref_name(response)] if "$ref" in response else response
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                answers.append((status, response["description"], type_of(schema) if schema else ()))
            params = op.get("parameters", [])
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=prose(op.get("description", "")),
                    parameters=tuple(parameter(p) for p in params),
                    example=example(path, params),
                    responses=tuple(answers),
                )
            )
    return found


def shapes(document: dict, operations: list[Operation]) -> list[Shape]:
    """Every named schema the answers use, in the order a reader meets them (breadth first)."""
    schemas = document["components"]["schemas"]
    queue = [ref for op in operations for _, _, answer in op.responses for _, ref in answer if ref]
    seen: list[str] = []
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.append(name)
        for prop in schemas[name].get("properties", {}).values():
            queue += [ref for _, ref in type_of(prop) if ref]
    found = []
    for name in seen:
        schema = schemas[name]
        required = set(schema.get("required", []))
        fields = tuple(
            Field(
                name=key,
                type=type_of(prop),
                note="" if key in required else "optional",
                rules=rules(prop),
                description=prose(prop.get("description", "")),
            )
            for key, prop in schema.get("properties", {}).items()
        )
        found.append(Shape(name, schema.get("description", ""), fields))
    return found


@cache
def page_context() -> dict:
    document = openapi.schema()
    ops = operations(document)
    return {
        "info": document["info"],
        "openapi_version": document["openapi"],
        "operations": ops,
        "shapes": shapes(document, ops),
    }


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def docs(request):
    return TemplateResponse(request, "calculator/api_docs.html", page_context())

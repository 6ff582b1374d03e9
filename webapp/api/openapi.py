"""The OpenAPI 3.1 document of the JSON API, served at GET /api/openapi.json.

Built as a plain dict, one section per group of endpoints. Each route module documents its own
routes next to them, in an `openapi_section()` returning `(paths, schemas)` built with the helpers
here, and webapp/api/__init__.py adds it to SECTIONS; error responses are shared through
`error_responses(...)`. tests/api/test_openapi_fuzz.py keeps the document true.
"""

import json

from flask import current_app

from webapp.api import bp

JSON = "application/json"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema):
    return {JSON: {"schema": schema}}


def ok(description, schema):
    return {"description": description, "content": json_content(schema)}


ERROR_DESCRIPTIONS = {
    400: "A bad request: a malformed body, or a program or value the engine refuses. "
    "`line` and `column` (1-based) say where when the program is at fault.",
    404: "An unknown preset, node or path.",
    405: "The path exists, but not with this method.",
    413: "The body is larger than the limit (64 KB).",
    415: "The body is not JSON (send Content-Type: application/json).",
}


def error_responses(*codes):
    """The shared error responses, by status code: all of them have the Error shape."""
    return {str(code): error_response("Error", ERROR_DESCRIPTIONS[code]) for code in codes}


def error_schema(description, **extra_properties):
    """An error shape: `error` and `message`, plus what one group of endpoints adds."""
    properties = {"error": {"type": "string"}, "message": {"type": "string"}}
    return {
        "type": "object",
        "description": description,
        "required": ["error", "message"],
        "properties": {**properties, **extra_properties},
    }


def error_response(schema_name, description):
    """A documented error response whose body has the schema `schema_name`."""
    return {"description": description, "content": json_content(ref(schema_name))}


def json_body(schema, description):
    return {"required": True, "description": description, "content": json_content(schema)}


# --- Shared schemas -----------------------------------------------------------------------------

COMMON_SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "Every error of the API has this shape.",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "The HTTP status phrase, e.g. Bad Request."},
            "message": {"type": "string", "description": "What went wrong, for a person."},
            "line": {"type": "integer", "minimum": 1, "description": "Line of the program."},
            "column": {"type": "integer", "minimum": 1, "description": "Column (characters)."},
            "node": {"type": "string", "description": "The node at fault, when there is one."},
        },
    },
}


# --- General: the API's index and the trivial endpoint -----------------------------------------


def general_section():
    paths = {
        "/api/": {
            "get": {
                "summary": "List the API's entry points.",
                "operationId": "apiIndex",
                "responses": {"200": ok("The entry points.", {"type": "object"})},
            }
        },
        "/api/ping": {
            "get": {
                "summary": "A trivial JSON endpoint (the benchmarks' baseline).",
                "operationId": "ping",
                "responses": {
                    "200": ok(
                        "Always ok.",
                        {
                            "type": "object",
                            "required": ["ok"],
                            "properties": {"ok": {"type": "boolean"}},
                        },
                    )
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document.",
                "operationId": "openapi",
                "responses": {"200": ok("The OpenAPI document.", {"type": "object"})},
            }
        },
        "/healthz": {
            "get": {
                "summary": "For load balancers: is the app up and its database reachable?",
                "operationId": "healthz",
                "responses": {
                    "200": ok("Up, and the database answers.", ref("Health")),
                    "503": ok("The database cannot be reached.", ref("Health")),
                },
            }
        },
    }
    health = {
        "type": "object",
        "required": ["status", "database"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "database": {"type": "string", "enum": ["ok", "unreachable"]},
        },
    }
    return paths, {"Health": health}


# Each group of routes documents itself next to its views (an `openapi_section()` returning
# `(paths, schemas)`); webapp/api/__init__.py lists them here, in the document's order.
SECTIONS = [general_section]


def build_document():
    """The whole OpenAPI document, from every section."""
    paths, schemas = {}, dict(COMMON_SCHEMAS)
    for section in SECTIONS:
        section_paths, section_schemas = section()
        paths.update(section_paths)
        schemas.update(section_schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Backpropagation lessons API",
            "version": "1.0.0",
            "description": "JSON endpoints of the lessons. Every error is "
            '`{"error": <status phrase>, "message": ...}`.',
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


_TEXT = None


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI 3.1 document."""
    global _TEXT
    if _TEXT is None:
        _TEXT = json.dumps(build_document(), separators=(",", ":"))
    return current_app.response_class(_TEXT, mimetype=JSON)

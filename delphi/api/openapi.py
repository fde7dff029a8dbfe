"""The OpenAPI 3.1 description of the public API, written by hand (three read-only endpoints)."""
from __future__ import annotations

from typing import Any

from delphi.version import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}
_NOT_FOUND = {"description": "No such framework version, or it is a draft (drafts are not public).",
              "content": {"application/json": {"schema": _ERROR}}}


def openapi_document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Delphi platform public API",
            "version": __version__,
            "summary": "Released maturity frameworks (such as the 1+MG MLM), read-only.",
            "description": "Released and retired framework versions with their whole tree: domains, subdomains, "
                           "indicators and the five level descriptions of each. Draft versions are never "
                           "public. Show each framework's `source` (its attribution) wherever you show it.",
            "license": {"name": "See each framework's source for the licence of its text"},
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/frameworks": {
                "get": {
                    "operationId": "listFrameworks",
                    "summary": "Frameworks and their released or retired versions",
                    "responses": {"200": {"description": "The list (drafts left out).", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/FrameworkList"}}}}},
                },
            },
            "/frameworks/{slug}/versions/{label}": {
                "get": {
                    "operationId": "getFrameworkVersion",
                    "summary": "One released or retired version, the whole tree (the same JSON as the export)",
                    "parameters": [
                        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                         "example": "1plusmg-mlm"},
                        {"name": "label", "in": "path", "required": True, "schema": {"type": "string"},
                         "example": "2022"},
                        {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"},
                         "description": "A language of the version (its `languages`): the texts in that language, "
                                        "the source's where a text is not translated. Default: the source "
                                        "language."},
                    ],
                    "responses": {
                        "200": {"description": "The framework document; the ETag is the content's SHA-256.",
                                "headers": {"ETag": {"schema": {"type": "string"}}},
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/FrameworkDocument"}}}},
                        "304": {"description": "Not modified (If-None-Match matched the ETag)."},
                        "404": _NOT_FOUND,
                    },
                },
            },
            "/openapi.json": {
                "get": {"operationId": "getOpenAPI", "summary": "This document",
                        "responses": {"200": {"description": "OpenAPI 3.1 document",
                                              "content": {"application/json": {"schema": {"type": "object"}}}}}},
            },
        },
        "components": {"schemas": _schemas()},
    }


def _schemas() -> dict[str, Any]:
    text = {"type": "string"}
    code = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"}
    return {
        "Error": {"type": "object", "required": ["error", "message", "status"], "properties": {
            "error": text, "message": text, "status": {"type": "integer"}}},
        "VersionSummary": {"type": "object", "required": ["label", "status", "url"], "properties": {
            "label": text, "status": {"enum": ["released", "retired"]}, "name": text, "short_name": text,
            "source": {"type": "string", "description": "Attribution; show it with the framework."},
            "released_at": {"type": ["string", "null"], "format": "date-time"},
            "checksum": {"type": ["string", "null"], "description": "SHA-256 of the canonical JSON"},
            "url": {"type": "string", "format": "uri"}}},
        "FrameworkList": {"type": "object", "required": ["frameworks"], "properties": {"frameworks": {
            "type": "array", "items": {"type": "object", "required": ["slug", "name", "versions"], "properties": {
                "slug": text, "name": text,
                "versions": {"type": "array", "items": {"$ref": "#/components/schemas/VersionSummary"}}}}}}},
        "Indicator": {"type": "object", "required": ["code", "statement", "levels"], "properties": {
            "code": code, "statement": text, "guidance": text,
            "levels": {"type": "array", "items": text, "minItems": 5, "maxItems": 5,
                       "description": "Descriptions of maturity levels 1 to 5"}}},
        "Subdomain": {"type": "object", "required": ["code", "title", "indicators"], "properties": {
            "code": code, "title": text,
            "indicators": {"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}}}},
        "Domain": {"type": "object", "required": ["code", "title", "subdomains"], "properties": {
            "code": code, "title": text,
            "subdomains": {"type": "array", "items": {"$ref": "#/components/schemas/Subdomain"}}}},
        "FrameworkDocument": {"type": "object", "required": ["name", "domains"], "properties": {
            "name": text, "short_name": text, "description": text, "source": text, "numbering_note": text,
            "generic_levels": {"type": "object", "description": "Meaning of each level, keys '1' to '5'",
                               "propertyNames": {"enum": ["1", "2", "3", "4", "5"]},
                               "additionalProperties": text},
            "glossary": {"type": "array", "items": {"type": "object", "required": ["term", "definition"],
                                                    "properties": {"term": text, "definition": text}}},
            "domains": {"type": "array", "items": {"$ref": "#/components/schemas/Domain"}}}},
    }

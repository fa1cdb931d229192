"""The OpenAPI document the API serves is committed: any change to it shows up in review.

Run with UPDATE_SNAPSHOTS=1 to accept a change (rewrites tests/contract/openapi.json).
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest
from django.test import Client

SNAPSHOT = Path(__file__).with_name("openapi.json")

pytestmark = pytest.mark.contract


def _render(document: object) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_served_openapi_document_matches_snapshot() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = _render(response.json())
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(served)
        return
    committed = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    if served != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                served.splitlines(keepends=True),
                fromfile="tests/contract/openapi.json (committed)",
                tofile="/api/v1/openapi.json (served)",
                n=2,
            )
        )
        pytest.fail(
            "The served OpenAPI document differs from the committed snapshot. If the change "
            "is intended, run UPDATE_SNAPSHOTS=1 pytest tests/contract/test_openapi_snapshot.py "
            f"and commit tests/contract/openapi.json.\n\n{diff}",
            pytrace=False,
        )


def test_openapi_document_and_docs_page_are_public() -> None:
    client = Client()
    assert client.get("/api/v1/openapi.json").status_code == 200
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/api/v1/openapi.json" in docs.content


def test_each_operation_is_under_one_tag() -> None:
    """Swagger UI lists an operation once per tag: a router mounted on another must not add
    its own tag to its parent's (the docs page would show those operations twice)."""
    document = Client().get("/api/v1/openapi.json").json()
    tagged = {
        f"{method.upper()} {path}": op.get("tags", [])
        for path, item in document["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
    }
    assert {name: tags for name, tags in tagged.items() if len(tags) != 1} == {}


def test_every_json_body_refuses_fields_it_does_not_know() -> None:
    """Bodies are strict (docs/api.md, "Writing"), objects nested in them too: a field an
    operation does not take (``workspace_id``, ``created_by``, ``archived``, a misspelt one)
    is a 422, never silently dropped. Attacker's review: a metric's forecast points took any
    extra field."""
    document = Client().get("/api/v1/openapi.json").json()
    components = document["components"]["schemas"]
    lax: set[str] = set()
    seen: set[str] = set()

    def walk(node: object, where: str) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, where)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    seen.add(name)
                    walk({**components[name], "title": name}, where)
                return
            if node.get("type") == "object" and node.get("additionalProperties") is not False:
                lax.add(f"{where}: {node.get('title', '(inline object)')}")
            for value in node.values():
                walk(value, where)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                walk(body["schema"], f"{method.upper()} {path}")
    assert seen  # the walk did reach the bodies' schemas
    assert not lax, sorted(lax)


def test_no_two_schemas_share_a_name() -> None:
    """The document names each schema by its class name: two classes of one name (an
    insight's contributors and a ranked card's, both ``ContributorOut``) left one of them
    described by the other's fields (``internal`` missing where the API sends it)."""
    from collections import defaultdict

    from ninja import Schema

    Client().get("/api/v1/openapi.json")  # every router imported

    def subclasses(cls: type) -> list[type]:
        found = []
        for sub in cls.__subclasses__():
            found += [sub, *subclasses(sub)]
        return found

    modules: dict[str, set[str]] = defaultdict(set)
    for cls in subclasses(Schema):
        if cls.__module__.startswith("traction."):
            modules[cls.__name__].add(cls.__module__)
    assert {name: sorted(m) for name, m in modules.items() if len(m) > 1} == {}

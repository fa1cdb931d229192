"""A bare Django view returning what GET /api/v1/customers returns, built by hand.

The same two queries the API runs (the count, then the page), written as raw SQL; rows
turned into the API's customer shape, JSON written by Django's encoder: no ORM, no schema,
no permission layer. It is the speed limit the API is held to.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime

from traction.core.permissions import public

KEYS = [
    "id",
    "name",
    "segment",
    "size",
    "region",
    "account_owner_id",
    "notes",
    "contact_count",
    "version",
    "created_at",
    "updated_at",
]

WORKSPACE = "(SELECT id FROM accounts_workspace WHERE slug = %s)"

COUNT_SQL = f"""
SELECT COUNT(*) FROM customers_customer c
WHERE c.workspace_id = {WORKSPACE} AND c.archived_at IS NULL
"""

PAGE_SQL = f"""
SELECT c.id, c.name, c.segment, c.size, c.region, c.account_owner_id, c.notes,
       (SELECT COUNT(*) FROM customers_contact ct
        WHERE ct.customer_id = c.id AND ct.archived_at IS NULL) AS contact_count,
       c.version, c.created_at, c.updated_at
FROM customers_customer c
WHERE c.workspace_id = {WORKSPACE} AND c.archived_at IS NULL
ORDER BY c.name, c.id
LIMIT %s OFFSET %s
"""


def _when(value: Any) -> datetime:
    # SQLite hands back naive UTC datetimes (or strings); PostgreSQL aware ones.
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    assert parsed is not None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@public("benchmark baseline")
def raw_customers(request: HttpRequest) -> HttpResponse:
    page = max(int(request.GET.get("page", "1")), 1)
    size = min(max(int(request.GET.get("page_size", "50")), 1), 200)
    slug = request.GET.get("workspace", "bench")
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, [slug])
        (count,) = cursor.fetchone()
        cursor.execute(PAGE_SQL, [slug, size, (page - 1) * size])
        rows = cursor.fetchall()
    items = []
    for row in rows:
        item = dict(zip(KEYS, row, strict=True))
        item["created_at"] = _when(item["created_at"])
        item["updated_at"] = _when(item["updated_at"])
        items.append(item)
    body = json.dumps({"items": items, "count": count}, cls=DjangoJSONEncoder)
    return HttpResponse(body, content_type="application/json")

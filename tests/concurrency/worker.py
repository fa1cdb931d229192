"""One parallel writer for test_sqlite_writers.py; run as a separate process.

usage: worker.py WORKER_ID ROUNDS   (DATABASE_URL points at the shared SQLite file)
Prints one JSON line: {"created": n, "appended": n, "conflicts": n, "errors": [...]}.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "traction.settings.test")

import django

django.setup()

from traction.accounts.models import Membership  # noqa: E402
from traction.core.errors import Conflict  # noqa: E402
from traction.core.permissions import Viewer  # noqa: E402
from traction.customers import services  # noqa: E402
from traction.customers.models import Customer  # noqa: E402


def main(worker: int, rounds: int) -> dict[str, object]:
    membership = Membership.objects.select_related("user").get(user__email="fran@acme.test")
    viewer = Viewer(
        user=membership.user, workspace_id=membership.workspace_id, role=membership.role
    )
    result: dict[str, object] = {"created": 0, "appended": 0, "conflicts": 0, "errors": []}
    errors: list[str] = result["errors"]  # type: ignore[assignment]
    for i in range(rounds):
        try:
            services.create_customer(viewer, name=f"Parallel {worker}-{i}", segment="mid_market")
            result["created"] = int(result["created"]) + 1  # type: ignore[call-overload]
        except Exception as exc:
            errors.append(f"create: {exc!r}")
        while True:  # read, then write with the version we read; retry on conflict
            try:
                shared = Customer.objects.get(name="Globex")
                services.update_customer(
                    viewer,
                    customer=shared,
                    changes={"notes": shared.notes + f"[w{worker}-{i}]"},
                    version=shared.version,
                )
                result["appended"] = int(result["appended"]) + 1  # type: ignore[call-overload]
                break
            except Conflict:
                result["conflicts"] = int(result["conflicts"]) + 1  # type: ignore[call-overload]
            except Exception as exc:
                errors.append(f"update: {exc!r}")
                break
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))

"""The deployment test runs only against PostgreSQL (the `pytest postgresql` step)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deploy: follows docs/deploy.md on a throwaway PostgreSQL cluster"
    )

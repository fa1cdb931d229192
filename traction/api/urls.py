"""The API object mounted by traction/urls.py at /api/v1/ (built in traction/api/api.py)."""

from traction.api.api import api

__all__ = ["api"]

"""Web views for sessions (being built)."""

from django.http import HttpRequest, HttpResponse

from traction.accounts.decorators import workspace_view
from traction.core.errors import NotFound
from traction.core.permissions import Viewer, public


@workspace_view
def outreach_detail(request: HttpRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    raise NotFound()


@workspace_view
def briefing(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    raise NotFound()


@public("A customer contact answers their invitation through a signed personal link.")
def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    raise NotFound()

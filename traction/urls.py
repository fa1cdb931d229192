from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from traction.api.urls import api
from traction.core.permissions import public
from traction.sessions import views as sessions_views


@public("Load balancers and uptime checks probe it; it reveals nothing.")
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


FAVICON = (Path(__file__).resolve().parent / "static" / "favicon.ico").read_bytes()


@public("Browsers ask every site for its icon; it reveals nothing.")
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever the page links (no 404 on every page)."""
    response = HttpResponse(FAVICON, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("api/v1/", api.urls),
    path("", include("traction.accounts.urls")),
    path("w/<slug:workspace_slug>/customers/", include("traction.customers.urls")),
    path("w/<slug:workspace_slug>/programs/", include("traction.programs.urls")),
    path("w/<slug:workspace_slug>/webhooks/", include("traction.webhooks.urls")),
    path("w/<slug:workspace_slug>/sessions/", include("traction.sessions.urls")),
    path("rsvp/<str:token>/", sessions_views.rsvp, name="rsvp"),
    path("rsvp/<str:token>/calendar.ics", sessions_views.rsvp_calendar, name="rsvp_calendar"),
    path("rsvp/<str:token>/logo", sessions_views.rsvp_logo, name="rsvp_logo"),
    path("w/<slug:workspace_slug>/insights/", include("traction.insights.urls")),
    path("", include("traction.voting.urls")),
    path("w/<slug:workspace_slug>/debriefs/", include("traction.debrief.urls")),
    path("w/<slug:workspace_slug>/loop/", include("traction.loop.urls")),
    path("", include("traction.portal.urls")),
    path("", include("traction.loop.public_urls")),
]

handler404 = "traction.core.views.not_found"
handler403 = "traction.core.views.forbidden"

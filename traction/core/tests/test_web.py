"""The web kernel: workspace views and their typed request, page-or-partial rendering, and a
service's refusal shown on a form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxMiddleware

from traction.core import web
from traction.core.errors import Conflict, NotFound, ValidationFailed
from traction.core.permissions import Viewer


def htmx_request(path: str = "/", user: Any = None, **headers: str) -> Any:
    request = RequestFactory().get(path, headers=headers)
    if user is not None:
        request.user = user
    HtmxMiddleware(lambda r: HttpResponse())(request)
    return request


# --- the typed workspace request -------------------------------------------------------------


def test_a_workspace_view_receives_the_viewer_the_workspace_and_the_htmx_details(cast):
    seen: dict[str, Any] = {}

    @web.workspace_view
    def page(request: web.WorkspaceRequest, viewer: Viewer, item_id: int) -> HttpResponse:
        seen.update(
            viewer=viewer,
            same=request.viewer is viewer,
            workspace=request.workspace,
            slug=request.workspace_slug,
            htmx=bool(request.htmx),
            target=request.htmx.target,
            trigger=request.htmx.trigger,
            item_id=item_id,
        )
        return HttpResponse("ok")

    request = htmx_request(
        user=cast.users["sponsor"], HX_Request="true", HX_Target="results", HX_Trigger="q"
    )
    assert page(request, workspace_slug="acme", item_id=7).content == b"ok"
    assert seen == {
        "viewer": Viewer(user=cast.users["sponsor"], workspace_id=cast.acme.pk, role="sponsor"),
        "same": True,
        "workspace": web.CurrentWorkspace(pk=cast.acme.pk, slug="acme", name="Acme"),
        "slug": "acme",
        "htmx": True,
        "target": "results",
        "trigger": "q",
        "item_id": 7,
    }


def test_a_workspace_view_refuses_a_stranger_as_not_found_and_sends_the_anonymous_to_sign_in(
    cast,
):
    from django.contrib.auth.models import AnonymousUser

    @web.workspace_view
    def page(request: web.WorkspaceRequest, viewer: Viewer) -> HttpResponse:
        raise AssertionError("not reached")

    with pytest.raises(NotFound, match=r"^Workspace not found\.$"):
        page(htmx_request(user=cast.users["stranger"]), workspace_slug="acme")
    response = page(htmx_request("/w/acme/", user=AnonymousUser()), workspace_slug="acme")
    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('accounts:login')}?next=/w/acme/",
    )


def test_viewer_of_is_none_outside_a_workspace_view():
    assert web.viewer_of(htmx_request()) is None


# --- page or partial -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "partial"),
    [
        ({}, False),
        ({"HX-Request": "true"}, True),
        ({"HX-Request": "true", "HX-Target": "anything"}, True),
        ({"HX-Request": "true", "HX-Boosted": "true"}, False),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
        ({"HX-Request": "false"}, False),
    ],
)
def test_only_an_htmx_swap_wants_the_partial(headers, partial):
    request = htmx_request(**{k.replace("-", "_"): v for k, v in headers.items()})
    assert web.wants_partial(request) is partial


def test_a_list_page_renders_whole_or_only_its_results_partial(cast, client_for):
    client = client_for("admin")
    url = reverse("programs:list", args=["acme"])
    whole = client.get(url, {"q": "onb"}).content.decode()
    assert whole.startswith("<!doctype html>")
    assert '<nav class="topnav" aria-label="Main">' in whole
    assert "Effortless onboarding" in whole
    assert "Renewals" not in whole
    part = client.get(url, {"q": "onb"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in part
    assert "topnav" not in part
    assert part.lstrip().startswith('<div id="results"')
    assert "Effortless onboarding" in part
    assert part.strip() in whole
    # A history restore asks for the whole page again.
    again = client.get(
        url, {"q": "onb"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    again_page = again.content.decode()
    assert again_page.startswith("<!doctype html>")
    assert part.strip() in again_page


# --- domain errors on forms ------------------------------------------------------------------


class CustomerForm(forms.Form):
    name = forms.CharField()
    account_owner = forms.IntegerField(required=False)


def bound() -> CustomerForm:
    form = CustomerForm({"name": "Globex", "account_owner": "3"})
    assert form.is_valid()
    return form


def test_a_validation_failure_goes_beside_the_fields_it_names():
    form = bound()
    exc = ValidationFailed(
        {
            "name": ["A customer with this name exists."],
            "account_owner_id": ["Pick a member of this workspace."],
            "__all__": ["Nothing was saved."],
            "segment": ["Not a field of this form."],
        }
    )
    web.apply_domain_errors(form, exc, {"account_owner_id": "account_owner"})
    assert form.errors == {
        "name": ["A customer with this name exists."],
        "account_owner": ["Pick a member of this workspace."],
        "__all__": ["Nothing was saved.", "Not a field of this form."],
    }


def test_a_conflict_and_other_refusals_go_on_top():
    form = bound()
    web.apply_domain_errors(form, Conflict("Globex changed since you opened it."))
    web.apply_domain_errors(form, NotFound("Contact not found."))
    assert form.errors == {
        "__all__": [
            "Globex changed since you opened it. Your changes were not saved.",
            "Contact not found.",
        ]
    }


def test_error_text_is_one_line_of_every_message():
    exc = ValidationFailed({"name": ["Too long.", "Not one line."], "__all__": ["Nothing saved."]})
    assert web.error_text(exc) == "Too long. Not one line. Nothing saved."
    assert web.error_text(Conflict("Changed meanwhile.")) == "Changed meanwhile."


def test_error_text_adds_the_pages_help_to_a_conflict_only():
    help_ = " Reload the page and try again."
    assert web.error_text(Conflict("Changed meanwhile."), conflict_help=help_) == (
        "Changed meanwhile. Reload the page and try again."
    )
    assert web.error_text(NotFound("Gone."), conflict_help=help_) == "Gone."


def test_no_view_reads_an_htmx_header_itself():
    """Views leave page-or-partial to ``render_page`` (or ask ``request.htmx``): none reads an
    HX-* header, so none names the DOM id htmx targets (search once checked ``HX-Target``)."""
    root = Path(web.__file__).resolve().parents[1]
    readers = [
        str(path.relative_to(root.parent))
        for path in sorted(root.rglob("*.py"))
        if "tests" not in path.parts and path != Path(web.__file__) and "HX-" in path.read_text()
    ]
    assert readers == []

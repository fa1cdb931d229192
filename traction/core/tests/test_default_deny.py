"""A view that never asked the permission layer cannot answer with data."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseRedirect
from django.test import Client
from django.urls import path

from traction.core import permissions
from traction.core.errors import NotFound


def forgetful(request):
    return HttpResponse("customer list")


@permissions.public("test: reviewed public page")
def open_page(request):
    return HttpResponse("hello")


def checked(request):
    permissions.check(
        permissions.Viewer(user=request.user, workspace_id=1, role="admin", user_id=1),
        "workspace.view",
    )
    return HttpResponse("ok")


def redirecting(request):
    return HttpResponseRedirect("/elsewhere")


def hidden(request):
    raise NotFound("Customer not found.")


urlpatterns = [
    path("forgetful/", forgetful, name="forgetful"),
    path("open/", open_page, name="open"),
    path("checked/", checked, name="checked"),
    path("redirecting/", redirecting, name="redirecting"),
    path("hidden/", hidden, name="hidden"),
]


@pytest.fixture
def client(settings):
    settings.ROOT_URLCONF = __name__
    return Client()


def test_unchecked_view_is_refused(client):
    with pytest.raises(ImproperlyConfigured, match="without consulting the permission layer"):
        client.get("/forgetful/")


def test_unchecked_view_answers_500_in_production(settings):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/forgetful/")
    assert response.status_code == 500
    assert b"customer list" not in response.content


def test_public_checked_and_non_success_responses_pass(client):
    assert client.get("/open/").content == b"hello"
    assert client.get("/checked/").content == b"ok"
    assert client.get("/redirecting/").status_code == 302


def test_domain_not_found_becomes_a_404_page(client, db):
    response = client.get("/hidden/")
    assert response.status_code == 404
    assert b"Customer not found." in response.content

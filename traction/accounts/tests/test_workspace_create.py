"""The installation's owner creates a workspace on the web, as ``traction workspace create``
does at the shell; nobody else may (not even a workspace's admin)."""

from __future__ import annotations

import pytest
from django.test import Client

from traction.accounts import services
from traction.accounts.models import Membership, User, Workspace
from traction.core.errors import PermissionDenied
from traction.core.models import AuditEvent
from traction.core.permissions import Role
from traction.core.testing.cast import Cast

pytestmark = pytest.mark.django_db


def test_the_owner_creates_a_workspace_with_a_new_admin_who_gets_a_password_link(
    cast: Cast, client: Client
) -> None:
    owner = cast.users["admin"]
    services.make_installation_owner(owner)
    client.force_login(owner)
    assert "Create a workspace" in client.get("/").content.decode()
    page = client.post(
        "/workspaces/new/",
        {"name": "Globex Consulting", "admin_email": "Nina@Globex.example", "admin_name": "Nina"},
    ).content.decode()
    workspace = Workspace.objects.get(slug="globex-consulting")
    nina = User.objects.get(email="nina@globex.example")
    assert Membership.objects.get(workspace=workspace).user == nina
    assert Membership.objects.get(workspace=workspace).role == Role.ADMIN
    assert not nina.has_usable_password()
    assert "Globex Consulting is ready" in page
    assert "/password/set/" in page  # the one-time link at which Nina chooses her password
    assert AuditEvent.objects.filter(action="workspace.created", workspace_id=workspace.pk).exists()


def test_an_existing_account_keeps_its_password_and_errors_show_beside_the_field(
    cast: Cast, client: Client
) -> None:
    owner = cast.users["admin"]
    services.make_installation_owner(owner)
    client.force_login(owner)
    page = client.post(
        "/workspaces/new/", {"name": "Acme", "admin_email": "new@x.example"}
    ).content.decode()
    assert "Enter the admin&#x27;s name: they have no account yet." in page
    page = client.post(
        "/workspaces/new/", {"name": "Acme", "admin_email": cast.users["facilitator"].email}
    ).content.decode()
    assert "The address &#x27;acme&#x27; is taken." in page
    page = client.post(
        "/workspaces/new/", {"name": "Second", "admin_email": cast.users["facilitator"].email}
    ).content.decode()
    assert "already has an account" in page
    assert cast.users["facilitator"].has_usable_password()
    assert Membership.objects.get(workspace__slug="second").user == cast.users["facilitator"]


def test_nobody_else_creates_workspaces(cast: Cast, client: Client) -> None:
    before = Workspace.objects.count()
    client.force_login(cast.users["admin"])  # a workspace's admin is not the installation's owner
    assert "Create a workspace" not in client.get("/").content.decode()
    assert client.get("/workspaces/new/").status_code == 403
    response = client.post("/workspaces/new/", {"name": "Mine", "admin_email": "a@b.example"})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.create_workspace_for(cast.users["admin"], name="Mine", admin_email="a@b.example")
    assert Workspace.objects.count() == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Acme\r\nBcc: everyone@example.test", "Use one line"),
        ("A" * 121, "120 characters or fewer"),
    ],
)
def test_a_workspace_name_is_one_line_of_at_most_120_whatever_creates_it(
    cast: Cast, name: str, message: str
) -> None:
    # Attacker's review: the web form checked this, the service (used by `traction setup`)
    # did not. The name signs customer mail (the From display name): with a line break in it
    # every such email would fail to send.
    from traction.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.create_workspace(name=name, admin=cast.users["admin"], slug="fresh")
    assert message in refused.value.errors["name"][0]
    assert not Workspace.objects.filter(slug="fresh").exists()


def test_a_new_user_s_name_is_at_most_150_characters_whatever_creates_them(db: None) -> None:
    # Attacker's review: only the forms capped it; `traction user create --name` reached the
    # database (PostgreSQL refuses the row with an error, SQLite keeps it whole).
    from traction.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.create_user(email="long@example.test", full_name="N" * 151, password=None)
    assert "150 characters or fewer" in refused.value.errors["full_name"][0]
    assert not User.objects.filter(email="long@example.test").exists()

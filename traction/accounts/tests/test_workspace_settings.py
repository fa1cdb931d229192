"""The workspace settings page: name, time zone and the logo customers see."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from traction.accounts import logos, services
from traction.accounts.models import Workspace, WorkspaceLogo
from traction.core.errors import PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing import images

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def html(response) -> str:
    return response.content.decode()


def url(name: str, cast) -> str:
    return reverse(f"accounts:{name}", args=[cast.acme.slug])


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- the logo check ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (images.png(120, 40), ("image/png", 120, 40)),
        (images.jpeg_header(200, 80), ("image/jpeg", 200, 80)),
        (images.webp_lossless_header(64, 32), ("image/webp", 64, 32)),
    ],
)
def test_png_jpeg_and_webp_are_recognised_by_their_bytes(data, expected):
    found = logos.check(data)
    assert (found.content_type, found.width, found.height) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SVG, "SVG files are not accepted: they can carry scripts."),
        (b"  <svg onload='x'/>", "SVG files are not accepted"),
        (b"GIF89a\x01\x00\x01\x00", "not a PNG, JPEG or WebP image"),
        (b"<html><script>x</script></html>", "not a PNG, JPEG or WebP image"),
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 4, "This PNG file is damaged"),
        (images.png(5000, 1), "The image is 5000×1 pixels; a logo may be at most 4000×4000."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (logos.MAX_BYTES), "a logo may be at most 512 KB"),
    ],
)
def test_anything_else_is_refused_with_what_to_do(data, message):
    with pytest.raises(logos.LogoRefused) as refused:
        logos.check(data)
    assert message in str(refused.value)


# --- services -------------------------------------------------------------------------------


def test_an_admin_sets_replaces_and_removes_the_logo_audited(cast):
    admin = cast.viewer("admin")
    first = services.set_workspace_logo(admin, data=images.png())
    second = services.set_workspace_logo(admin, data=images.png(rgb=(1, 2, 3)))
    assert WorkspaceLogo.objects.filter(workspace=cast.acme).count() == 1
    assert second.pk == first.pk
    assert second.digest == hashlib.sha256(images.png(rgb=(1, 2, 3))).hexdigest()
    assert services.remove_workspace_logo(admin) is True
    assert services.remove_workspace_logo(admin) is False
    actions = list(
        AuditEvent.objects.filter(workspace=cast.acme, action__startswith="workspace.logo")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["workspace.logo_set", "workspace.logo_set", "workspace.logo_removed"]
    event = AuditEvent.objects.filter(action="workspace.logo_set").first()
    assert event.changes["logo"]["type"] == "image/png"
    assert event.changes["logo"]["width"] == 120


@pytest.mark.parametrize(
    "role", ["facilitator", "core_team", "sponsor", "account_owner", "observer"]
)
def test_only_admins_change_the_settings_and_nothing_changes_otherwise(cast, role):
    viewer = cast.viewer(role)
    with pytest.raises(PermissionDenied):
        services.set_workspace_logo(viewer, data=images.png())
    with pytest.raises(PermissionDenied):
        services.update_workspace(viewer, name="Hacked", time_zone="UTC")
    assert not WorkspaceLogo.objects.exists()
    assert Workspace.objects.get(pk=cast.acme.pk).name == "Acme"


def test_a_refused_file_stores_nothing_and_says_why_on_the_logo_field(cast):
    with pytest.raises(ValidationFailed) as refused:
        services.set_workspace_logo(cast.viewer("admin"), data=SVG)
    assert "SVG files are not accepted" in refused.value.errors["logo"][0]
    assert not WorkspaceLogo.objects.exists()
    assert not AuditEvent.objects.filter(action="workspace.logo_set").exists()


def test_the_name_and_time_zone_change_audited_and_aliases_are_refused(cast):
    admin = cast.viewer("admin")
    services.update_workspace(admin, name="Acme GmbH", time_zone="Europe/Berlin")
    workspace = Workspace.objects.get(pk=cast.acme.pk)
    assert (workspace.name, workspace.time_zone) == ("Acme GmbH", "Europe/Berlin")
    event = AuditEvent.objects.get(action="workspace.changed")
    assert event.changes == {"name": ["Acme", "Acme GmbH"], "time_zone": ["UTC", "Europe/Berlin"]}
    with pytest.raises(ValidationFailed) as refused:
        services.update_workspace(admin, name="Acme GmbH", time_zone="US/Pacific")
    assert "Unknown time zone “US/Pacific”" in refused.value.errors["time_zone"][0]
    with pytest.raises(ValidationFailed):
        services.update_workspace(admin, name="  ", time_zone="UTC")


# --- the page -------------------------------------------------------------------------------


def test_the_settings_page_shows_the_picker_at_the_workspaces_zone(cast, client_for):
    Workspace.objects.filter(pk=cast.acme.pk).update(time_zone="Asia/Kolkata")
    page = html(client_for("admin").get(url("workspace_settings", cast)))
    assert "<h1>Workspace settings</h1>" in page
    assert '<option value="Asia/Kolkata" selected>Asia/Kolkata</option>' in page
    assert '<option value="Asia/Calcutta"' not in page
    assert "data-tz-picker" in page
    assert "No logo yet: customers see the workspace name alone." in page
    assert 'accept="image/png,image/jpeg,image/webp"' in page


def test_saving_the_settings_redirects_and_a_bad_zone_is_shown_beside_the_field(cast, client_for):
    client = client_for("admin")
    response = client.post(
        url("workspace_settings", cast), {"name": "Acme Corp", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    assert Workspace.objects.get(pk=cast.acme.pk).name == "Acme Corp"
    page = html(
        client.post(url("workspace_settings", cast), {"name": "X", "time_zone": "Etc/GMT+5"})
    )
    assert 'id="id_time_zone_error"' in page
    assert "Choose a time zone from the list" in page
    assert Workspace.objects.get(pk=cast.acme.pk).time_zone == "Europe/Berlin"


def test_uploading_a_logo_shows_it_and_an_svg_is_refused_beside_the_field(cast, client_for):
    client = client_for("admin")
    page = html(
        client.post(
            url("workspace_logo_upload", cast), {"logo": upload("logo.svg", SVG, "image/png")}
        )
    )
    assert '<ul class="errorlist" id="id_logo_error"><li>SVG files are not accepted' in page
    assert not WorkspaceLogo.objects.exists()
    response = client.post(
        url("workspace_logo_upload", cast), {"logo": upload("l.png", images.png())}
    )
    assert response.status_code == 302
    digest = WorkspaceLogo.objects.get(workspace=cast.acme).digest
    page = html(client.get(url("workspace_settings", cast)))
    assert f'src="/w/acme/logo/?v={digest}"' in page
    assert "Remove the logo" in page


def test_a_too_large_file_is_refused_with_its_size(cast, client_for):
    big = images.png() + b"\x00" * (logos.MAX_BYTES)
    page = html(
        client_for("admin").post(
            url("workspace_logo_upload", cast), {"logo": upload("big.png", big)}
        )
    )
    assert "a logo may be at most 512 KB" in page
    assert 'id="id_logo_error"' in page


def test_the_logo_route_serves_only_the_urls_workspace_and_only_to_its_members(cast, client_for):
    services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    services.set_workspace_logo(cast.viewer("stranger"), data=images.png(rgb=(200, 0, 0)))
    response = client_for("observer").get(url("workspace_logo", cast))
    assert response.status_code == 200
    assert response.content == images.png()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-cache"
    digest = hashlib.sha256(images.png()).hexdigest()
    versioned = client_for("observer").get(url("workspace_logo", cast) + f"?v={digest}")
    assert versioned["Cache-Control"] == "private, max-age=31536000, immutable"
    # The stranger (Rival's admin) cannot read Acme's logo through Acme's URL...
    assert client_for("stranger").get(url("workspace_logo", cast)).status_code == 404
    # ...and their own URL gives their own logo.
    rival = client_for("stranger").get(reverse("accounts:workspace_logo", args=[cast.rival.slug]))
    assert rival.content == images.png(rgb=(200, 0, 0))


def test_no_logo_is_a_404(cast, client_for):
    assert client_for("admin").get(url("workspace_logo", cast)).status_code == 404


def test_settings_are_in_the_navigation_for_admins_only(cast, client_for):
    home = reverse("accounts:workspace_home", args=[cast.acme.slug])
    assert 'href="/w/acme/workspace-settings/"' in html(client_for("admin").get(home))
    assert 'href="/w/acme/workspace-settings/"' not in html(client_for("facilitator").get(home))


# --- the sender of customer mail -----------------------------------------------------------


def test_the_sender_name_and_reply_to_are_saved_audited_and_a_bad_address_is_refused(cast):
    admin = cast.viewer("admin")
    services.update_workspace(
        admin, name="Acme", time_zone="UTC", sender_name="Acme Customer Team",
        reply_to="team@acme.test",
    )  # fmt: skip
    workspace = Workspace.objects.get(pk=cast.acme.pk)
    assert (workspace.sender_name, workspace.reply_to) == ("Acme Customer Team", "team@acme.test")
    assert AuditEvent.objects.get(action="workspace.changed").changes == {
        "sender_name": ["", "Acme Customer Team"],
        "reply_to": ["", "team@acme.test"],
    }
    with pytest.raises(ValidationFailed) as refused:
        services.update_workspace(
            admin, name="Acme", time_zone="UTC", sender_name="Two\nlines", reply_to="not-an-address"
        )
    assert set(refused.value.errors) == {"sender_name", "reply_to"}
    assert "“not-an-address” is not an email address" in refused.value.errors["reply_to"][0]
    # Renaming alone keeps them; empty values take them away (the name signs again).
    services.update_workspace(admin, name="Acme GmbH", time_zone="UTC")
    assert Workspace.objects.get(pk=cast.acme.pk).reply_to == "team@acme.test"
    services.update_workspace(admin, name="Acme GmbH", time_zone="UTC", sender_name="", reply_to="")
    workspace = Workspace.objects.get(pk=cast.acme.pk)
    assert (workspace.sender_display_name, workspace.reply_to) == ("Acme GmbH", "")


def test_the_page_saves_the_sender_and_shows_a_bad_reply_to_beside_its_field(cast, client_for):
    client = client_for("admin")
    page = html(client.get(url("workspace_settings", cast)))
    assert 'name="sender_name"' in page
    assert 'name="reply_to"' in page
    page = html(
        client.post(
            url("workspace_settings", cast),
            {"name": "Acme", "time_zone": "UTC", "sender_name": "Acme", "reply_to": "team@"},
        )
    )
    assert '<ul class="errorlist" id="id_reply_to_error"><li>Enter an email address like' in page
    assert Workspace.objects.get(pk=cast.acme.pk).reply_to == ""
    response = client.post(
        url("workspace_settings", cast),
        {"name": "Acme", "time_zone": "UTC", "sender_name": "Acme Team", "reply_to": "t@acme.test"},
    )
    assert response.status_code == 302
    assert Workspace.objects.get(pk=cast.acme.pk).sender_name == "Acme Team"
    page = html(client.get(url("workspace_settings", cast)))
    assert 'value="t@acme.test"' in page

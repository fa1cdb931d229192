import pytest
from django.core import mail
from django.utils import timezone

from traction.accounts import selectors, services
from traction.accounts.models import ApiToken, MemberInvitation, Membership
from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AppendOnlyError, AuditEvent


def test_invite_then_accept_creates_member_with_role(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, link = services.invite_member(
            cast.viewer("admin"), email="Nia@Acme.test", role="observer"
        )
    assert invitation.email == "nia@acme.test"
    assert [m.to for m in mail.outbox] == [["nia@acme.test"]]
    assert link in mail.outbox[0].body
    secret = link.rstrip("/").rsplit("/", 1)[-1]
    membership = services.accept_invitation(
        secret=secret, full_name="Nia New", password="a long enough pass 42"
    )
    assert (membership.user.email, membership.role, membership.workspace) == (
        "nia@acme.test",
        "observer",
        cast.acme,
    )
    with pytest.raises(NotFound, match="not valid any more"):
        services.find_invitation(secret)


def test_a_new_invitation_replaces_the_pending_one(cast):
    admin = cast.viewer("admin")
    first, _ = services.invite_member(admin, email="x@acme.test", role="observer")
    second, _ = services.invite_member(admin, email="x@acme.test", role="core_team")
    assert [i.pk for i in MemberInvitation.objects.pending()] == [second.pk]
    first.refresh_from_db()
    assert first.status == "revoked"


def test_invitation_for_someone_else_cannot_be_taken(cast):
    _, link = services.invite_member(cast.viewer("admin"), email="zed@acme.test", role="observer")
    with pytest.raises(PermissionDenied, match=r"zed@acme\.test"):
        services.accept_invitation(
            secret=link.rstrip("/").rsplit("/", 1)[-1], user=cast.users["stranger"]
        )


@pytest.mark.parametrize(
    "principal", ["facilitator", "core_team", "sponsor", "account_owner", "observer"]
)
def test_only_admins_manage_members(cast, principal):
    with pytest.raises(PermissionDenied):
        services.invite_member(cast.viewer(principal), email="y@acme.test", role="admin")
    with pytest.raises(PermissionDenied):
        services.change_member_role(
            cast.viewer(principal), membership=cast.membership("observer"), role="admin"
        )
    assert cast.membership("observer").role == "observer"


def test_the_last_admin_stays_admin(cast):
    admin = cast.viewer("admin")
    with pytest.raises(ValidationFailed, match="at least one admin"):
        services.change_member_role(admin, membership=cast.membership("admin"), role="observer")
    with pytest.raises(ValidationFailed, match="at least one admin"):
        services.remove_member(admin, membership=cast.membership("admin"))


def test_removing_a_member_revokes_their_tokens(cast):
    _, key = services.create_api_token(cast.viewer("observer"), name="laptop")
    assert selectors.viewer_for_token(key) is not None
    services.remove_member(
        cast.viewer("admin"), membership=cast.membership("observer"), reason="Left"
    )
    assert selectors.viewer_for_token(key) is None
    assert not Membership.objects.filter(user=cast.users["observer"]).exists()
    assert AuditEvent.objects.get(action="member.removed").reason == "Left"


def test_tokens_are_hashed_bound_to_workspace_and_revocable(cast):
    token, key = services.create_api_token(cast.viewer("facilitator"), name="ci")
    assert key.startswith("trc_")
    assert key not in token.key_hash
    viewer = selectors.viewer_for_token(key)
    assert (viewer.workspace_id, viewer.role) == (cast.acme.pk, "facilitator")
    assert selectors.viewer_for_token(key + "x") is None
    with pytest.raises(NotFound):
        services.revoke_api_token(cast.viewer("admin"), token=token)  # not Alice's token
    services.revoke_api_token(cast.viewer("facilitator"), token=token)
    assert selectors.viewer_for_token(key) is None
    assert ApiToken.objects.active().count() == 0


def test_login_throttle_counts_failures_per_account_and_address(cast, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _ in range(3):
        assert not services.login_throttled(email="alice@acme.test", ip="10.0.0.1")
        services.record_failed_login(email="Alice@acme.test", ip="10.0.0.1")
    assert services.login_throttled(email="alice@acme.test", ip="10.0.0.1")
    # Failures from one address never hold the account back elsewhere.
    assert not services.login_throttled(email="alice@acme.test", ip="10.0.0.2")
    assert not services.login_throttled(email="fran@acme.test", ip="10.0.0.1")
    services.clear_failed_logins(email="alice@acme.test", ip="10.0.0.1")
    assert not services.login_throttled(email="alice@acme.test", ip="10.0.0.1")


def test_audit_trail_is_append_only(cast):
    event = AuditEvent.objects.first()
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_audit_events_are_for_admins_and_stay_in_their_workspace(cast):
    acme_events = selectors.audit_events(cast.viewer("admin"))
    assert acme_events.count() > 0
    assert {e.workspace_id for e in acme_events} == {cast.acme.pk}
    with pytest.raises(PermissionDenied):
        selectors.audit_events(cast.viewer("facilitator"))
    assert {e.action for e in selectors.audit_events(cast.viewer("admin"), action="customer.")} == {
        "customer.created"
    }


def test_a_token_stops_working_when_its_user_leaves_or_is_deactivated(
    cast, django_assert_num_queries
):
    _, key = services.create_api_token(cast.viewer("core_team"), name="script")
    with django_assert_num_queries(2):  # the lookup, and last_used_at on first use
        viewer = selectors.viewer_for_token(key)
    assert (viewer.user_id, viewer.role) == (cast.users["core_team"].pk, "core_team")
    with django_assert_num_queries(1):  # later uses: one query, the user row loads lazily
        selectors.viewer_for_token(key)
    user = cast.users["core_team"]
    user.is_active = False
    user.save()
    assert selectors.viewer_for_token(key) is None
    user.is_active = True
    user.save()
    assert selectors.viewer_for_token(key) is not None
    # A removed member's membership is archived, not deleted: the token finds no standing.
    Membership.objects.filter(user=user).update(archived_at=timezone.now())
    assert selectors.viewer_for_token(key) is None
    assert Membership.history.filter(user=user).count() == 1

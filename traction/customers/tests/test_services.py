import pytest

from traction.core import permissions
from traction.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.customers import selectors, services
from traction.customers.models import Contact, Customer


def test_create_customer_audits_who_and_what(cast):
    fran = cast.viewer("facilitator")
    customer = services.create_customer(
        fran,
        name="  Umbrella  ",
        segment="enterprise",
        region="APAC",
        account_owner_id=cast.users["account_owner"].pk,
    )
    assert (customer.name, customer.workspace_id, customer.version) == ("Umbrella", cast.acme.pk, 1)
    event = AuditEvent.objects.get(action="customer.created", object_id=str(customer.pk))
    assert event.actor == cast.users["facilitator"]
    assert event.changes["name"] == "Umbrella"
    assert event.changes["account_owner_id"] == cast.users["account_owner"].pk


def test_create_customer_refuses_bad_input_and_saves_nothing(cast):
    fran = cast.viewer("facilitator")
    before = Customer.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.create_customer(fran, name="", segment="galactic")
    assert set(exc.value.errors) == {"name", "segment"}
    with pytest.raises(ValidationFailed) as exc:
        services.create_customer(fran, name="Globex", segment="enterprise")
    assert exc.value.errors == {
        "name": ["There is already a customer with the name “Globex” here."]
    }
    with pytest.raises(ValidationFailed) as exc:
        services.create_customer(
            fran, name="Hooli", segment="enterprise", account_owner_id=cast.users["stranger"].pk
        )
    assert list(exc.value.errors) == ["account_owner_id"]
    assert (Customer.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("principal", ["core_team", "sponsor", "account_owner", "observer"])
def test_only_admins_and_facilitators_add_customers(cast, principal):
    with pytest.raises(PermissionDenied):
        services.create_customer(cast.viewer(principal), name="Hooli", segment="enterprise")
    assert not Customer.objects.filter(name="Hooli").exists()


def test_account_owner_edits_own_customer_but_cannot_reassign_it(cast):
    owen = cast.viewer("account_owner")
    services.update_customer(
        owen, customer=cast.customer, changes={"notes": "Prefers mornings."}, version=1
    )
    cast.customer.refresh_from_db()
    assert (cast.customer.notes, cast.customer.version) == ("Prefers mornings.", 2)
    with pytest.raises(ValidationFailed) as exc:
        services.update_customer(owen, customer=cast.customer, changes={"account_owner_id": None})
    assert list(exc.value.errors) == ["account_owner_id"]
    with pytest.raises(PermissionDenied):
        services.update_customer(owen, customer=cast.other_customer, changes={"notes": "x"})


ROLES = ["admin", "facilitator", "core_team", "sponsor", "account_owner", "observer"]


def test_reassigning_the_account_owner_is_its_own_action_for_facilitators_and_admins(cast):
    """``customer.reassign_owner``: the one rule; the service, the web form and the API ask it."""
    may = [
        r
        for r in ROLES
        if permissions.can(cast.viewer(r), "customer.reassign_owner", cast.customer)
    ]
    assert may == ["admin", "facilitator"]
    # The account owner may change the customer, but not who owns it.
    assert permissions.can(cast.viewer("account_owner"), "customer.change", cast.customer)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.update_customer(
            cast.viewer("account_owner"),
            customer=cast.customer,
            changes={"account_owner_id": cast.users["admin"].pk},
        )
    assert exc.value.errors == {
        "account_owner_id": ["Only a facilitator or admin can reassign the account owner."]
    }
    cast.customer.refresh_from_db()
    assert cast.customer.account_owner_id == cast.users["account_owner"].pk
    assert AuditEvent.objects.count() == before
    services.update_customer(
        cast.viewer("facilitator"),
        customer=cast.customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )
    cast.customer.refresh_from_db()
    assert cast.customer.account_owner_id == cast.users["admin"].pk


def test_stale_version_is_a_conflict_and_changes_nothing(cast):
    fran = cast.viewer("facilitator")
    services.update_customer(fran, customer=cast.customer, changes={"region": "DACH"}, version=1)
    stale = Customer.objects.get(pk=cast.customer.pk)
    stale.version = 1
    with pytest.raises(Conflict, match="changed by someone else"):
        services.update_customer(fran, customer=stale, changes={"region": "Nordics"}, version=1)
    assert Customer.objects.get(pk=cast.customer.pk).region == "DACH"


def test_update_refuses_fields_callers_may_not_set(cast):
    with pytest.raises(ValidationFailed) as exc:
        services.update_customer(
            cast.viewer("admin"),
            customer=cast.customer,
            changes={"workspace_id": cast.rival.pk, "version": 9},
        )
    assert set(exc.value.errors) == {"workspace_id", "version"}
    cast.customer.refresh_from_db()
    assert (cast.customer.workspace_id, cast.customer.version) == (cast.acme.pk, 1)


def test_stranger_cannot_touch_acme_customer(cast):
    with pytest.raises(NotFound):
        services.update_customer(
            cast.viewer("stranger"), customer=cast.customer, changes={"notes": "x"}
        )
    with pytest.raises(NotFound):
        selectors.customer(cast.viewer("stranger"), cast.customer.pk)


def test_contacts_record_consent_time_and_stay_unique_per_customer(cast):
    fran = cast.viewer("facilitator")
    contact = services.add_contact(
        fran, customer=cast.customer, name="Hal", email="HAL@Globex.test", consent_to_contact=True
    )
    assert contact.email == "hal@globex.test"
    assert contact.consent_recorded_at is not None
    with pytest.raises(ValidationFailed):
        services.add_contact(
            fran, customer=cast.customer, name="Hal again", email="hal@globex.test"
        )
    services.update_contact(fran, contact=contact, changes={"consent_to_contact": False})
    contact.refresh_from_db()
    assert contact.consent_to_contact is False
    assert Contact.objects.filter(customer=cast.customer).count() == 2


def test_account_owner_adds_contacts_to_own_customers_only(cast):
    owen = cast.viewer("account_owner")
    services.add_contact(owen, customer=cast.customer, name="New", email="new@globex.test")
    with pytest.raises(PermissionDenied):
        services.add_contact(owen, customer=cast.other_customer, name="No", email="no@initech.test")
    assert [c.name for c in selectors.contacts(owen)] == ["Gina Globex", "New"]


def test_archive_customer_is_admin_only_and_audited(cast):
    with pytest.raises(PermissionDenied):
        services.archive_customer(cast.viewer("facilitator"), customer=cast.customer)
    assert Customer.objects.get(pk=cast.customer.pk).archived_at is None
    services.archive_customer(cast.viewer("admin"), customer=cast.customer, reason="Duplicate")
    assert Customer.objects.get(pk=cast.customer.pk).archived_at is not None
    event = AuditEvent.objects.get(action="customer.archived")
    assert (event.reason, event.changes) == ("Duplicate", {"contacts": [cast.contact.pk]})
    assert [c.name for c in selectors.customers(cast.viewer("admin"))] == ["Initech"]
    assert [c.name for c in selectors.customers(cast.viewer("admin"), archived=True)] == ["Globex"]


def test_customer_list_filters(cast):
    fran = cast.viewer("facilitator")
    assert [c.name for c in selectors.customers(fran, segment="enterprise")] == ["Initech"]
    assert [c.name for c in selectors.customers(fran, q="glob")] == ["Globex"]
    assert [c.contact_count for c in selectors.customers(fran)] == [1, 1]


def test_an_edit_that_changes_nothing_keeps_the_version_and_writes_no_event(cast):
    events = AuditEvent.objects.count()
    services.update_customer(
        cast.viewer("facilitator"), customer=cast.customer, changes={"region": "EMEA"}, version=1
    )
    cast.customer.refresh_from_db()
    assert cast.customer.version == 1
    assert AuditEvent.objects.count() == events

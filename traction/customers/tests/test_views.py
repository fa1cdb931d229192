"""Web pages for customers and contacts."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.accounts import services as account_services
from traction.accounts.models import User
from traction.core.models import AuditEvent
from traction.core.testing.cast import PASSWORD
from traction.customers import services
from traction.customers.models import Contact, Customer


def html(response) -> str:
    return response.content.decode()


def field_error(field: str, message: str) -> str:
    return f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li></ul>'


def url(name: str, *args: object) -> str:
    return reverse(f"customers:{name}", args=["acme", *args])


# --- list -----------------------------------------------------------------------------------


def test_list_shows_every_customer_to_a_facilitator(cast, client_for):
    page = html(client_for("facilitator").get(url("list")))
    assert "<title>Customers · Acme · Traction</title>" in page
    globex = cast.customer.pk
    assert (
        f'<td><a href="/w/acme/customers/{globex}/">Globex</a></td>\n'
        "        <td>Mid-market</td>\n"
        "        <td>EMEA</td>\n"
        "        <td>Owen Owner</td>\n"
        '        <td class="num">1</td>'
    ) in page
    assert ">Initech</a>" in page
    assert "Rival customer" not in page
    assert 'href="/w/acme/customers/new/">Add a customer</a>' in page


def test_an_account_owner_sees_only_their_customers_and_no_add_button(cast, client_for):
    page = html(client_for("account_owner").get(url("list")))
    assert ">Globex</a>" in page
    assert "Initech" not in page
    assert "Add a customer" not in page


def test_filters_narrow_the_list(cast, client_for):
    client = client_for("facilitator")
    page = html(client.get(url("list"), {"segment": "enterprise"}))
    assert ">Initech</a>" in page
    assert ">Globex</a>" not in page
    page = html(client.get(url("list"), {"owner": cast.users["account_owner"].pk}))
    assert ">Globex</a>" in page
    assert ">Initech</a>" not in page
    page = html(client.get(url("list"), {"q": "zzz"}))
    assert "<strong>No customers match these filters.</strong>" in page
    assert "No customers yet" not in page


def test_live_search_returns_only_the_results_partial(cast, client_for):
    response = client_for("facilitator").get(
        url("list"), {"q": "glob"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    page = html(response)
    assert page.lstrip().startswith('<div id="results" aria-live="polite">')
    assert "<html" not in page
    assert ">Globex</a>" in page
    assert "Initech" not in page


def test_an_empty_workspace_explains_what_customers_are_for(db, client):
    user = account_services.create_user(email="n@x.test", full_name="Nova", password=PASSWORD)
    account_services.create_workspace(name="Fresh", admin=user)
    client.force_login(user)
    page = html(client.get(reverse("customers:list", args=["fresh"])))
    assert (
        "<strong>No customers yet.</strong> "
        "Add the organisations you will invite to co-design sessions" in page
    )
    assert 'href="/w/fresh/customers/new/">Add your first customer</a>' in page
    assert 'role="search"' not in page  # no filters until there is something to filter


def test_an_observer_may_not_open_customers(cast, client_for):
    response = client_for("observer").get(url("list"))
    assert response.status_code == 403
    assert "Your role (Observer) does not allow this: “See customer organisations.”" in html(
        response
    )


# --- create ---------------------------------------------------------------------------------


def test_create_form_offers_members_as_account_owners(cast, client_for):
    page = html(client_for("facilitator").get(url("create")))
    assert "<h1>Add a customer</h1>" in page
    assert f'<option value="{cast.users["account_owner"].pk}">Owen Owner</option>' in page
    assert "Stan Stranger" not in page


def test_an_observer_cannot_open_the_create_form(cast, client_for):
    assert client_for("observer").get(url("create")).status_code == 403


def test_invalid_create_shows_errors_beside_fields_and_saves_nothing(cast, client_for):
    before = Customer.objects.count(), AuditEvent.objects.count()
    response = client_for("facilitator").post(url("create"), {"name": "", "segment": "galactic"})
    page = html(response)
    assert field_error("name", "This field is required.") in page
    assert (
        field_error(
            "segment", "Select a valid choice. galactic is not one of the available choices."
        )
        in page
    )
    assert 'aria-invalid="true"' in page
    assert (Customer.objects.count(), AuditEvent.objects.count()) == before


def test_a_duplicate_name_is_refused_by_the_service_and_shown(cast, client_for):
    before = Customer.objects.count()
    page = html(
        client_for("facilitator").post(url("create"), {"name": "Globex", "segment": "enterprise"})
    )
    assert "There is already a customer with the name “Globex” here." in page
    assert Customer.objects.count() == before


def test_create_a_customer(cast, client_for):
    owner = cast.users["account_owner"]
    response = client_for("facilitator").post(
        url("create"),
        {
            "name": "Umbrella",
            "segment": "enterprise",
            "region": "APAC",
            "account_owner": owner.pk,
            "size": "5000+",
        },
    )
    umbrella = Customer.objects.get(name="Umbrella")
    assert response["Location"] == f"/w/acme/customers/{umbrella.pk}/"
    assert (umbrella.workspace_id, umbrella.account_owner_id, umbrella.size) == (
        cast.acme.pk,
        owner.pk,
        "5000+",
    )
    event = AuditEvent.objects.get(action="customer.created", object_id=str(umbrella.pk))
    assert event.actor == cast.users["facilitator"]


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_contacts_with_their_consent(cast, client_for):
    page = html(client_for("facilitator").get(url("detail", cast.customer.pk)))
    assert "<h1>Globex</h1>" in page
    assert "<dt>Account owner</dt><dd>Owen Owner" in page
    assert "<td>Gina Globex</td>" in page
    assert '<span class="badge badge-ok">✓ Yes</span>' in page
    assert f'href="/w/acme/customers/{cast.customer.pk}/contacts/new/">Add a contact</a>' in page
    assert "Delete…" not in page  # deleting a customer is for admins

    page = html(client_for("facilitator").get(url("detail", cast.other_customer.pk)))
    assert '<span class="badge badge-warn">✗ No — do not contact</span>' in page


def test_a_placeholder_address_shows_as_missing(cast, client_for):
    # Contacts made from a transcript get an address under PLACEHOLDER_DOMAIN.
    from traction.customers.models import PLACEHOLDER_DOMAIN, Contact

    made = Contact.objects.create(
        workspace=cast.acme,
        customer=cast.customer,
        name="Hank Newman",
        email=f"hank.newman@{PLACEHOLDER_DOMAIN}",
    )
    assert not made.has_address
    assert cast.contact.has_address
    page = html(client_for("facilitator").get(url("detail", cast.customer.pk)))
    assert PLACEHOLDER_DOMAIN not in page
    assert '<span class="muted">No address yet</span>' in page
    assert f'href="/w/acme/customers/contacts/{made.pk}/edit/" class="small">add it' in page


def test_admins_see_the_delete_button(cast, client_for):
    page = html(client_for("admin").get(url("detail", cast.customer.pk)))
    assert f'href="/w/acme/customers/{cast.customer.pk}/delete/">Archive…</a>' in page


def test_a_stranger_gets_404_on_an_acme_customer(cast, client_for):
    assert client_for("stranger").get(url("detail", cast.customer.pk)).status_code == 404


def test_an_account_owner_gets_404_for_someone_elses_customer(cast, client_for):
    assert client_for("account_owner").get(url("detail", cast.other_customer.pk)).status_code == 404


# --- edit -----------------------------------------------------------------------------------


def test_edit_saves_changes_and_audits_them(cast, client_for):
    globex = cast.customer
    client = client_for("facilitator")
    page = html(client.get(url("edit", globex.pk)))
    assert '<input type="hidden" name="version" value="1" id="id_version">' in page
    response = client.post(
        url("edit", globex.pk),
        {
            "name": "Globex Corp",
            "segment": "mid_market",
            "region": "EMEA",
            "account_owner": cast.users["account_owner"].pk,
            "version": 1,
        },
    )
    assert response["Location"] == f"/w/acme/customers/{globex.pk}/"
    globex.refresh_from_db()
    assert (globex.name, globex.version) == ("Globex Corp", 2)
    event = AuditEvent.objects.get(action="customer.changed")
    assert event.changes == {"name": ["Globex", "Globex Corp"]}


def test_a_stale_edit_shows_the_conflict_and_keeps_the_other_change(cast, client_for):
    globex = cast.customer
    services.update_customer(
        cast.viewer("admin"), customer=globex, changes={"region": "APAC"}, version=1
    )
    response = client_for("facilitator").post(
        url("edit", globex.pk),
        {"name": "Mine", "segment": "mid_market", "region": "EMEA", "version": 1},
    )
    page = html(response)
    assert (
        "This customer was changed by someone else since you opened it. "
        "Reload to see their changes, then apply yours again. Your changes were not saved."
    ) in page
    globex.refresh_from_db()
    assert (globex.name, globex.region, globex.version) == ("Globex", "APAC", 2)


def test_an_account_owner_edits_but_cannot_reassign_the_owner(cast, client_for):
    globex = cast.customer
    client = client_for("account_owner")
    page = html(client.get(url("edit", globex.pk)))
    assert '<select name="account_owner" disabled' in page
    response = client.post(
        url("edit", globex.pk),
        {
            "name": "Globex",
            "segment": "mid_market",
            "region": "EMEA",
            "account_owner": cast.users["admin"].pk,
            "notes": "Met in May.",
            "version": 1,
        },
    )
    assert response.status_code == 302
    globex.refresh_from_db()
    assert (globex.notes, globex.account_owner_id) == (
        "Met in May.",
        cast.users["account_owner"].pk,
    )


# --- delete ---------------------------------------------------------------------------------


def test_the_delete_page_asks_first_then_archives(cast, client_for):
    client = client_for("admin")
    page = html(client.get(url("delete", cast.customer.pk)))
    assert "<h1>Archive Globex?</h1>" in page
    assert "its 1 contact from lists" in page
    assert "Nothing is deleted" in page
    response = client.post(url("delete", cast.customer.pk), {"reason": "Duplicate"})
    assert response["Location"] == "/w/acme/customers/"
    assert Customer.objects.get(pk=cast.customer.pk).archived_at is not None
    assert AuditEvent.objects.get(action="customer.archived").reason == "Duplicate"
    listing = html(client.get("/w/acme/customers/"))
    assert "Globex</a>" not in listing
    assert "Show archived customers" in listing
    archived = html(client.get("/w/acme/customers/?archived=1"))
    assert 'Globex</a> <span class="badge">archived</span>' in archived
    detail = html(client.get(f"/w/acme/customers/{cast.customer.pk}/"))
    assert ">Restore</button>" in detail
    client.post(f"/w/acme/customers/{cast.customer.pk}/restore/")
    assert Customer.objects.get(pk=cast.customer.pk).archived_at is None
    assert Contact.objects.get(pk=cast.contact.pk).archived_at is None


def test_a_facilitator_cannot_delete_a_customer(cast, client_for):
    response = client_for("facilitator").post(url("delete", cast.customer.pk))
    assert response.status_code == 403
    assert Customer.objects.filter(pk=cast.customer.pk).exists()


# --- contacts -------------------------------------------------------------------------------


def test_add_contact_invalid_then_valid(cast, client_for):
    client = client_for("account_owner")
    before = Contact.objects.count()
    page = html(client.post(url("contact_create", cast.customer.pk), {"name": "", "email": "nope"}))
    assert field_error("name", "This field is required.") in page
    assert field_error("email", "Enter a valid email address.") in page
    assert Contact.objects.count() == before

    page = html(
        client.post(
            url("contact_create", cast.customer.pk),
            {
                "name": "Gina Again",
                "email": "GINA@globex.test",
                "preferred_channel": "email",
                "update_cadence": "monthly",
            },
        )
    )
    assert "There is already a contact with the email “gina@globex.test” here." in page
    assert Contact.objects.count() == before

    response = client.post(
        url("contact_create", cast.customer.pk),
        {
            "name": "Hank Globex",
            "email": "Hank@Globex.test",
            "title": "CFO",
            "consent_to_contact": "on",
            "preferred_channel": "video",
            "update_cadence": "quarterly",
        },
    )
    assert response["Location"] == f"/w/acme/customers/{cast.customer.pk}/"
    hank = Contact.objects.get(name="Hank Globex")
    assert (hank.email, hank.consent_to_contact, hank.update_cadence) == (
        "hank@globex.test",
        True,
        "quarterly",
    )
    assert hank.consent_recorded_at is not None
    assert AuditEvent.objects.filter(action="contact.created", object_id=str(hank.pk)).count() == 1


def test_an_account_owner_cannot_add_contacts_to_others_customers(cast, client_for):
    assert (
        client_for("account_owner").get(url("contact_create", cast.other_customer.pk)).status_code
        == 404
    )


def test_edit_contact_and_conflict(cast, client_for):
    gina = cast.contact
    client = client_for("facilitator")
    data = {
        "name": "Gina G.",
        "email": "gina@globex.test",
        "preferred_channel": "email",
        "update_cadence": "as_needed",
        "version": 1,
    }
    response = client.post(url("contact_edit", gina.pk), data)
    assert response["Location"] == f"/w/acme/customers/{cast.customer.pk}/"
    gina.refresh_from_db()
    assert (gina.name, gina.consent_to_contact, gina.version) == ("Gina G.", False, 2)
    event = AuditEvent.objects.get(action="contact.changed")
    assert event.changes == {
        "consent_to_contact": [True, False],
        "name": ["Gina Globex", "Gina G."],
    }

    page = html(client.post(url("contact_edit", gina.pk), {**data, "name": "Stale"}))
    assert "This contact was changed by someone else since you opened it." in page
    gina.refresh_from_db()
    assert gina.name == "Gina G."


def test_the_contact_delete_page_archives(cast, client_for):
    client = client_for("facilitator")
    assert "<h1>Archive Gina Globex?</h1>" in html(
        client.get(url("contact_delete", cast.contact.pk))
    )
    response = client.post(url("contact_delete", cast.contact.pk))
    assert response["Location"] == f"/w/acme/customers/{cast.customer.pk}/"
    assert Contact.objects.get(pk=cast.contact.pk).archived_at is not None
    assert AuditEvent.objects.filter(action="contact.archived").count() == 1
    detail = html(client.get(f"/w/acme/customers/{cast.customer.pk}/"))
    assert "Archived contacts (1)" in detail


def test_an_account_owner_cannot_delete_contacts(cast, client_for):
    assert (
        client_for("account_owner").post(url("contact_delete", cast.contact.pk)).status_code == 403
    )
    assert Contact.objects.filter(pk=cast.contact.pk).exists()


def test_the_lists_pager_keeps_the_filters_and_drops_the_page(cast, client_for):
    for i in range(27):
        services.create_customer(
            cast.viewer("facilitator"), name=f"Paged co {i:02d}", segment="enterprise"
        )
    client = client_for("facilitator")
    first = html(client.get(url("list") + "?page=1&q=Paged"))
    assert 'href="?q=Paged&amp;page=2" rel="next"' in first
    second = html(client.get(url("list") + "?page=2&q=Paged"))
    assert 'href="?q=Paged&amp;page=1" rel="prev"' in second
    assert "Page 2 of 2 (27 in all)" in second


# --- the Account owner select is bounded ----------------------------------------------------


def add_members(cast, n: int, name: str = "Zed") -> list:
    """``n`` more members, named after every cast member (so past the first by name)."""
    start = User.objects.filter(full_name__startswith=name).count()
    made = []
    for i in range(start, start + n):
        user = account_services.create_user(
            email=f"{name.lower()}{i}@acme.test", full_name=f"{name} {i:03d}", password=PASSWORD
        )
        account_services.add_member(None, workspace=cast.acme, user=user, role="account_owner")
        made.append(user)
    return made


def owner_options(page: str) -> list[int]:
    select = page.split('name="account_owner"')[1].split("</select>")[0]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', select)]


def test_the_account_owner_select_is_bounded_with_the_same_queries(
    cast, client_for, django_assert_num_queries
):
    client = client_for("facilitator")
    create = url("create")
    client.get(create)
    with CaptureQueriesContext(connection) as seen:
        small = html(client.get(create))
    assert cast.users["account_owner"].pk in owner_options(small)
    last = add_members(cast, 40)[-1]
    with django_assert_num_queries(len(seen)):
        large = html(client.get(create))
    assert len(owner_options(large)) == 30
    assert last.pk not in owner_options(large)
    assert "Only the first 30 members by name are listed below" in large
    # What "Find" sends: the form by GET; the answers come back as typed.
    found = html(
        client.get(create, {"name": "Umbrella", "segment": "mid_market", "account_owner_q": "039"})
    )
    assert owner_options(found) == [last.pk]
    assert 'value="Umbrella"' in found
    assert '<option value="mid_market" selected>' in found
    made = client.post(
        create, {"name": "Umbrella", "segment": "mid_market", "account_owner": last.pk}
    )
    assert made.status_code == 302
    customer = Customer.objects.get(name="Umbrella")
    assert customer.account_owner_id == last.pk
    # Its edit page offers its owner, wherever it falls, selected.
    edit = html(client.get(url("edit", customer.pk)))
    assert len(owner_options(edit)) == 31
    assert f'<option value="{last.pk}" selected>' in edit


def test_an_owner_who_may_not_reassign_sees_the_owner_and_no_find_box(cast, client_for):
    add_members(cast, 40, name="Aaron")  # before Owen Owner by name
    owen = cast.users["account_owner"]
    client = client_for("account_owner")
    for query in ({}, {"account_owner": cast.users["admin"].pk, "account_owner_q": "Aaron"}):
        page = html(client.get(url("edit", cast.customer.pk), query))
        assert '<select name="account_owner" disabled' in page
        assert f'<option value="{owen.pk}" selected>' in page
        assert "Find a member to own it" not in page


def filter_owner_options(page: str) -> list[int]:
    select = page.split('name="owner"')[1].split("</select>")[0]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', select)]


def test_the_account_owner_filter_is_bounded_with_the_same_queries(
    cast, client_for, django_assert_num_queries
):
    client = client_for("facilitator")
    owen = cast.users["account_owner"]
    client.get(url("list"))
    with CaptureQueriesContext(connection) as seen:
        small = html(client.get(url("list"), {"owner": owen.pk}))
    assert owen.pk in filter_owner_options(small)
    assert ">Globex</a>" in small
    made = add_members(cast, 40, name="Aaron")  # before Owen Owner by name
    with django_assert_num_queries(len(seen)):
        large = html(client.get(url("list"), {"owner": owen.pk}))
    # The first 30 by name, and the one chosen wherever it falls, selected.
    assert len(filter_owner_options(large)) == 31
    assert f'<option value="{owen.pk}" selected>' in large
    assert made[-1].pk not in filter_owner_options(large)
    assert "Only the first 30 members by name are listed" in large
    assert ">Globex</a>" in large
    assert ">Initech</a>" not in large
    # Find (a GET of the form, no script) narrows the options and keeps the filters.
    found = html(client.get(url("list"), {"segment": "mid_market", "owner_q": "039"}))
    assert filter_owner_options(found) == [made[-1].pk]
    assert 'value="039"' in found
    assert '<option value="mid_market" selected>' in found
    assert "Listed: the members whose name or email address holds “039”." in found
    none = html(client.get(url("list"), {"owner_q": "nobody-such"}))
    assert filter_owner_options(none) == []
    assert "No member's name or email address holds “nobody-such”." in none
    assert "Clear filters" not in none  # what Find narrows is no filter
    assert ">Globex</a>" in none


def test_live_filtering_brings_the_narrowed_owner_options_along(cast, client_for):
    made = add_members(cast, 40, name="Aaron")
    response = client_for("facilitator").get(
        url("list"), {"owner_q": "039"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    page = html(response)
    assert page.lstrip().startswith('<div id="results" aria-live="polite">')
    assert "<html" not in page
    oob = page.split('<div id="owner-filter" hx-swap-oob="true">')[1]
    assert filter_owner_options(oob) == [made[-1].pk]
    # A full page has one Account owner select, not swapped.
    full = html(client_for("facilitator").get(url("list"), {"owner_q": "039"}))
    assert "hx-swap-oob" not in full
    assert full.count('name="owner"') == 1

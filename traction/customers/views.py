"""Web views for customers and their contacts: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts import selectors as account_selectors
from traction.core import permissions, sections
from traction.core.errors import Conflict, ValidationFailed
from traction.core.guard import whole_number
from traction.core.offering import found_again
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    query_without,
    render_page,
    wants_partial,
    workspace_view,
)

from . import selectors, services
from .forms import (
    CUSTOMER_FIELD_MAP,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    DeleteForm,
    EraseForm,
)

PAGE_SIZE = 25
CONTACTS_PAGE = 25  # a customer's contacts a page (``page``); its archived ones (``archived``)


def _changes(obj: models.Model, values: dict[str, Any]) -> dict[str, Any]:
    """Only what the person changed, so a field they did not touch is never rewritten."""
    return {name: value for name, value in values.items() if getattr(obj, name) != value}


@workspace_view
@require_GET
def customer_list(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    find = account_selectors.offered_members(
        viewer,
        typed=request.GET.get("owner_q", ""),
        chosen=whole_number(request.GET.get("owner", "")),
    )
    form = CustomerFilterForm(
        request.GET or None, owners=account_selectors.member_users(viewer), find=find
    )
    filters = form.cleaned_data if form.is_valid() else {}
    owner = filters.get("owner")
    customers = selectors.customers(
        viewer,
        q=filters.get("q", "").strip(),
        segment=filters.get("segment", ""),
        account_owner_id=owner.pk if owner else None,
        archived=archived,
    )
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "filtered": any(filters.values()),
        "has_any": page.paginator.count > 0
        or selectors.customers(viewer).exists()
        or selectors.customers(viewer, archived=True).exists(),
        "archived": archived,
        "query": query_without(request, "page"),
        "can_create": permissions.allows(viewer, "customer.create"),
        # Results swapped in (htmx) bring the Account owner filter's options along: "Find an
        # account owner" narrows them as it narrows nothing else.
        "find": find,
        "oob": wants_partial(request),
    }
    return render_page(request, "customers/customer_list.html", context, partial="results")


@workspace_view
@require_http_methods(["GET", "POST"])
def customer_create(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    permissions.check(viewer, "customer.create")
    sent = request.POST if request.method == "POST" else request.GET
    found = account_selectors.offered_members(
        viewer,
        typed=sent.get("account_owner_q", ""),
        chosen=whole_number(sent.get("account_owner", "")),
    )
    form = CustomerForm(
        request.POST if request.method == "POST" else None,
        initial=_found_again(request, reassign=True),
        owners=account_selectors.member_users(viewer),
        shown=found.rows,
    )
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.create_customer(viewer, **form.service_values())
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, CUSTOMER_FIELD_MAP)
        else:
            messages.success(
                request, f"{customer.name} was added. Add the people you work with there."
            )
            return redirect(
                "customers:detail", workspace_slug=request.workspace.slug, customer_id=customer.pk
            )
    return render(
        request, "customers/customer_form.html", {"form": form, "customer": None, "find": found}
    )


def _found_again(request: WorkspaceRequest, *, reassign: bool) -> dict[str, Any]:
    """The customer form's answers a "Find a member" reload (a GET) carries back."""
    if request.method != "GET":
        return {}
    names = ["name", "segment", "size", "region", "notes", "version"]
    if reassign:
        names.append("account_owner")
    return found_again(request.GET, names)


@workspace_view
@require_GET
def customer_detail(request: WorkspaceRequest, viewer: Viewer, customer_id: int) -> HttpResponse:
    """A customer and its contacts, active and archived, each a page at a time: the page
    costs the same queries however many contacts there are."""
    customer = selectors.customer(viewer, customer_id)
    can_edit = permissions.can(viewer, "customer.change", customer)
    contacts = Paginator(
        selectors.contacts(viewer, customer_id=customer.pk), CONTACTS_PAGE
    ).get_page(request.GET.get("page"))
    archived = Paginator(
        selectors.contacts(viewer, customer_id=customer.pk, archived=True), CONTACTS_PAGE
    ).get_page(request.GET.get("archived"))
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "contacts": contacts,
            "archived_contacts": archived,
            "query": query_without(request, "page"),
            "archived_query": query_without(request, "archived"),
            "can_edit": can_edit and not customer.is_archived,
            "can_delete": permissions.can(viewer, "customer.archive", customer),
            "can_add_contact": can_edit
            and not customer.is_archived
            and permissions.allows(viewer, "contact.change"),
            "can_delete_contact": permissions.allows(viewer, "contact.archive"),
            "can_erase_contact": permissions.allows(viewer, "contact.erase"),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def customer_edit(request: WorkspaceRequest, viewer: Viewer, customer_id: int) -> HttpResponse:
    customer = selectors.customer(viewer, customer_id, action="customer.change")
    initial = {
        "name": customer.name,
        "segment": customer.segment,
        "size": customer.size,
        "region": customer.region,
        "account_owner": customer.account_owner_id,
        "notes": customer.notes,
        "version": customer.version,
    }
    reassign = permissions.can(viewer, "customer.reassign_owner", customer)
    initial.update(_found_again(request, reassign=reassign))
    sent = request.POST if request.method == "POST" else request.GET
    found = account_selectors.offered_members(
        viewer,
        typed=sent.get("account_owner_q", "") if reassign else "",
        chosen=whole_number(sent.get("account_owner", ""))
        if reassign and "account_owner" in sent
        else customer.account_owner_id,
    )
    form = CustomerForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        owners=account_selectors.member_users(viewer),
        shown=found.rows,
        can_reassign_owner=reassign,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_customer(
                viewer,
                customer=customer,
                changes=_changes(customer, form.service_values()),
                version=form.cleaned_data["version"],
            )
        except (ValidationFailed, Conflict) as exc:
            apply_domain_errors(form, exc, CUSTOMER_FIELD_MAP)
        else:
            messages.success(request, f"{customer.name} was saved.")
            return redirect(
                "customers:detail", workspace_slug=request.workspace.slug, customer_id=customer.pk
            )
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "customer": customer, "find": found},
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def customer_delete(request: WorkspaceRequest, viewer: Viewer, customer_id: int) -> HttpResponse:
    """The "Archive" confirm page (its route kept its old name): nothing is deleted."""
    customer = selectors.customer(viewer, customer_id, action="customer.archive")
    form = DeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.archive_customer(viewer, customer=customer, reason=form.cleaned_data["reason"])
        messages.success(
            request,
            f"{customer.name} and its contacts were archived. Their history is kept; "
            "you can restore them from the archived customers.",
        )
        return redirect("customers:list", workspace_slug=request.workspace.slug)
    return render(
        request,
        "customers/customer_delete.html",
        {
            "customer": customer,
            "form": form,
            "contact_count": customer.contacts.filter(archived_at=None).count(),
        },
    )


@workspace_view
@require_POST
def customer_restore(request: WorkspaceRequest, viewer: Viewer, customer_id: int) -> HttpResponse:
    customer = selectors.customer(viewer, customer_id, action="customer.archive")
    services.restore_customer(viewer, customer=customer)
    messages.success(request, f"{customer.name} was restored, with the contacts archived with it.")
    return redirect(
        "customers:detail", workspace_slug=request.workspace.slug, customer_id=customer.pk
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def contact_create(request: WorkspaceRequest, viewer: Viewer, customer_id: int) -> HttpResponse:
    customer = selectors.customer(viewer, customer_id, action="customer.change")
    permissions.check(viewer, "contact.change")
    form = ContactForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.add_contact(viewer, customer=customer, **form.service_values())
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"{contact.name} was added to {customer.name}.")
            return redirect(
                "customers:detail", workspace_slug=request.workspace.slug, customer_id=customer.pk
            )
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": customer, "contact": None},
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def contact_edit(request: WorkspaceRequest, viewer: Viewer, contact_id: int) -> HttpResponse:
    contact = selectors.contact(viewer, contact_id, action="contact.change")
    initial = {name: getattr(contact, name) for name in services.CONTACT_FIELDS}
    form = ContactForm(
        request.POST if request.method == "POST" else None,
        initial={**initial, "version": contact.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contact(
                viewer,
                contact=contact,
                changes=_changes(contact, form.service_values()),
                version=form.cleaned_data["version"],
            )
        except (ValidationFailed, Conflict) as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"{contact.name} was saved.")
            return redirect(
                "customers:detail",
                workspace_slug=request.workspace.slug,
                customer_id=contact.customer_id,
            )
    return render(
        request,
        "customers/contact_form.html",
        {
            "form": form,
            "customer": contact.customer,
            "contact": contact,
            # What apps above add to a contact's page (the portal's links).
            "sections": sections.for_page("contact", viewer, contact),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def contact_delete(request: WorkspaceRequest, viewer: Viewer, contact_id: int) -> HttpResponse:
    """The "Archive" confirm page (its route kept its old name): nothing is deleted."""
    contact = selectors.contact(viewer, contact_id, action="contact.archive")
    form = DeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.archive_contact(viewer, contact=contact, reason=form.cleaned_data["reason"])
        messages.success(
            request, f"{contact.name} was archived; their history at {contact.customer.name} stays."
        )
        return redirect(
            "customers:detail",
            workspace_slug=request.workspace.slug,
            customer_id=contact.customer_id,
        )
    return render(request, "customers/contact_delete.html", {"contact": contact, "form": form})


@workspace_view
@require_POST
def contact_restore(request: WorkspaceRequest, viewer: Viewer, contact_id: int) -> HttpResponse:
    contact = selectors.contact(viewer, contact_id, action="contact.archive")
    try:
        services.restore_contact(viewer, contact=contact)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"{contact.name} was restored.")
    return redirect(
        "customers:detail", workspace_slug=request.workspace.slug, customer_id=contact.customer_id
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def contact_erase(request: WorkspaceRequest, viewer: Viewer, contact_id: int) -> HttpResponse:
    contact = selectors.contact(viewer, contact_id, action="contact.erase")
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            erased = services.erase_contact(
                viewer, contact=contact, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"The contact was erased; they are now {erased.name}.")
            return redirect(
                "customers:detail",
                workspace_slug=request.workspace.slug,
                customer_id=contact.customer_id,
            )
    return render(request, "customers/contact_erase.html", {"contact": contact, "form": form})

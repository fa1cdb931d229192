"""Decisions made once per distinct name during an import: who each speaker written in the file
is (a participant, a new contact of a customer with a placeholder e-mail address, or nobody),
which step of the chosen scenario each step name is (created when asked), the refusal listing
whatever was left undecided, and the customers a new contact may be added to.
"""

from __future__ import annotations

import itertools
from typing import Any

from traction.core import permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import Viewer
from traction.customers.models import PLACEHOLDER_DOMAIN
from traction.insights import services
from traction.insights.imports import speakers as speaker_names
from traction.insights.models import Scenario
from traction.sessions.models import Session

from .reading import step_key
from .selectors import import_speakers
from .shapes import NEW_CONTACT, UNATTRIBUTED, ImportOptions, SpeakerFound, UnknownSteps

# (contact id, user id, customer id, internal, the speaker's name to show)
Who = tuple[int | None, int | None, int | None, bool, str]


class Attributions:
    """Who each name written in the file is, decided once per distinct name."""

    def __init__(self, actor: Viewer, session: Session, options: ImportOptions) -> None:
        self.actor = actor
        self.session = session
        self.mapping = dict(options.speakers)
        self.keep_unmatched = options.unmatched == "keep"
        self.people = import_speakers(session, actor.user_id)
        self.by_key = {p.key: p for p in self.people}
        self.pairs = [(p, p.name) for p in self.people]
        self.cache: dict[str, Who] = {}
        self.unmatched: dict[str, int] = {}  # name -> first line
        self.new_contacts: list[str] = []
        self.to_create: list[tuple[str, Any]] = []  # (name as written, customer)
        self._check_mapping()

    def _check_mapping(self) -> None:
        for name, key in self.mapping.items():
            if key == UNATTRIBUTED or key in self.by_key:
                continue
            if key.startswith(NEW_CONTACT) and whole_number(key[len(NEW_CONTACT) :]):
                continue
            raise ValidationFailed.field(
                "speakers",
                f"“{name}” is mapped to “{key}”: use a participant (c:<contact id>, "
                "u:<user id>), new:<customer id> for a new contact, or - to keep the name "
                "unattributed.",
            )

    def _mapped(self, name: str) -> str | None:
        """The mapping given for a name as written, or for it as shown without the meeting
        tool's role label (the CLI's preview shows "Joris Bakker" for "Joris Bakker
        (External)", so ``--speaker "Joris Bakker=…"`` maps it)."""
        key = self.mapping.get(name)
        return key if key is not None else self.mapping.get(speaker_names.display_name(name))

    def __call__(self, name: str, line: int) -> Who:
        """(contact id, user id, customer id, internal, name to show) for a name as written:
        the credited person's own name when matched, else the name as written without the
        meeting tool's role label ("(Guest)")."""
        if name in self.cache:
            return self.cache[name]
        key = self._mapped(name)
        person = self.by_key.get(key) if key else None
        if key is None:
            person = speaker_names.match(name, self.pairs) if name else None
        who: Who = (None, None, None, False, speaker_names.display_name(name))
        if person is not None:
            who = (
                person.contact_id,
                person.user_id,
                person.customer_id,
                person.internal,
                person.name,
            )
        elif key and key.startswith(NEW_CONTACT):
            who = self._new_contact(name, int(key[len(NEW_CONTACT) :]))
        elif name and key is None and not self.keep_unmatched:
            self.unmatched.setdefault(name, line)
        self.cache[name] = who
        return who

    def decide(self, found: list[SpeakerFound]) -> None:
        """Everything about the names found in the file (first line order) that can be
        decided without writing: the unmatched ones, and the customer of each new contact
        (refused here, before anything is written, when there is none)."""
        for speaker in found:
            key = self._mapped(speaker.name)
            if key is None:
                if speaker.match is None and not self.keep_unmatched:
                    self.unmatched.setdefault(speaker.name, speaker.first_line)
            elif key.startswith(NEW_CONTACT):
                customer = self._customer(speaker.name, int(key[len(NEW_CONTACT) :]))
                self.to_create.append((speaker.name, customer))

    def create_contacts(self) -> None:
        """The new contacts ``decide`` found, created (the only writes of this class)."""
        for name, customer in self.to_create:
            self.cache[name] = self._create_contact(name, customer)

    def _customer(self, name: str, customer_id: int) -> Any:
        from traction.customers import selectors as customer_selectors

        try:
            return customer_selectors.customer(self.actor, customer_id)
        except NotFound:  # say which name pointed there
            raise ValidationFailed.field(
                "speakers", f"“{name}”: no customer with the id {customer_id} here."
            ) from None

    def _new_contact(self, name: str, customer_id: int) -> Who:
        return self._create_contact(name, self._customer(name, customer_id))

    def _create_contact(self, name: str, customer: Any) -> Who:
        from traction.customers import services as customer_services

        written = speaker_names.display_name(name)  # "Gina Globex (Guest)": "Gina Globex"
        if written.count(",") == 1:  # "Last, First" as people write it: "First Last"
            last, first = written.split(",")
            written = f"{first.strip()} {last.strip()}"
        # The transcript gives no address: a placeholder under PLACEHOLDER_DOMAIN marks the
        # contact as "no address yet" (Contact.has_address); nobody is invited without
        # consent anyway.
        local = speaker_names.normalize(name).replace(" ", ".") or "contact"
        taken = set(customer.contacts.values_list("email", flat=True))
        email = next(
            e
            for n in itertools.count(1)
            if (e := f"{local}{'' if n == 1 else n}@{PLACEHOLDER_DOMAIN}") not in taken
        )
        contact = customer_services.add_contact(
            self.actor, customer=customer, name=written[:150], email=email
        )
        self.new_contacts.append(contact.name)
        return contact.pk, None, customer.pk, False, contact.name


class Steps:
    """The step a row names, within the chosen scenario; unknown names created or listed."""

    def __init__(
        self, actor: Viewer, session: Session, scenario: Scenario | None, mode: UnknownSteps
    ) -> None:
        self.actor = actor
        self.session = session
        self.scenario = scenario
        self.mode = mode
        self.known: dict[str, int | None] = (
            {step_key(s.title): s.pk for s in scenario.steps.all()} if scenario else {}
        )
        self.unknown: dict[str, int] = {}  # title -> first line
        self.created: list[str] = []
        self.to_create: list[str] = []

    def decide(self, unknown: dict[str, int]) -> None:
        """The step names of the file not in the scenario (first line order): to create, to
        list in the refusal, or to ignore; decided without writing."""
        for title, line in unknown.items():
            key = step_key(title)
            if key in self.known:
                continue
            if self.mode == "create" and self.scenario is not None:
                self.to_create.append(title)
                self.known[key] = None  # until created
            else:
                if self.mode != "ignore":
                    self.unknown.setdefault(title, line)
                self.known[key] = None

    def create_steps(self) -> None:
        """The steps ``decide`` found, created in order of first appearance."""
        scenario = self.scenario
        for title in self.to_create:
            assert scenario is not None  # decide() creates steps only within a scenario
            step = services.add_step(self.actor, scenario=scenario, title=title[:160])
            self.created.append(step.title)
            self.known[step_key(title)] = step.pk

    def __call__(self, title: str, line: int) -> int | None:
        if not title:
            return None
        key = step_key(title)
        if key in self.known:
            return self.known[key]
        if self.mode == "create" and self.scenario is not None:
            step = services.add_step(self.actor, scenario=self.scenario, title=title[:160])
            self.created.append(step.title)
            self.known[key] = step.pk
            return step.pk
        if self.mode != "ignore":
            self.unknown.setdefault(title, line)
        self.known[key] = None  # decided once per name
        return None


def refuse_undecided(who: Attributions, step_of: Steps, rows: int) -> None:
    errors: dict[str, list[str]] = {}
    if rows == 0:
        errors["file"] = ["The file holds no notes or cues to import."]
    if who.unmatched:
        names = "; ".join(f"“{n}” (line {line})" for n, line in who.unmatched.items())
        errors["speakers"] = [
            f"These names match nobody taking part in the session: {names}. Map each to a "
            "participant or a new contact, or keep them unattributed."
        ]
    if step_of.unknown:
        titles = "; ".join(f"“{t}” (line {line})" for t, line in step_of.unknown.items())
        where = (
            f"the scenario “{step_of.scenario.title}”"
            if step_of.scenario
            else "any scenario (pick the scenario the notes belong to)"
        )
        errors["steps"] = [
            f"These steps are not in {where}: {titles}. Create them as new steps, "
            "or import those rows without a step."
        ]
    if errors:
        raise ValidationFailed(errors)


def new_contact_customers(actor: Viewer) -> list[Any]:
    """The customers the actor may add a contact to (for "new contact of …" choices)."""
    from traction.customers.models import Customer

    if not permissions.allows(actor, "contact.change"):
        return []
    return list(permissions.scope(actor, "customer.change", Customer.objects.order_by("name")))

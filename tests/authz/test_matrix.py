"""Every route and API operation, for every role, a stranger and an anonymous visitor.

The expectations are the written matrix in ``matrix.toml`` (docs/roles.md, route by route).
Routes are discovered from the URLconf and the OpenAPI document, so a route added without
a row here fails the suite, and so does a row whose route is gone. Objects of another
workspace must answer 404 (or the role's blanket 403), never 200 or 500.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from traction.accounts import services as account_services
from traction.accounts.models import ApiToken, MemberInvitation
from traction.core.testing.cast import PRINCIPALS, Cast
from traction.core.testing.snapshot import built_on

# AUTHZ_DRAFT=1 prints what each route answers instead of asserting: a starting point for a
# new row, to be reviewed against docs/roles.md before it goes into matrix.toml.
DRAFT = os.environ.get("AUTHZ_DRAFT") == "1"


def _load_matrix() -> dict[str, dict[str, Any]]:
    """matrix.toml, plus one matrix_<area>.toml per area of a later app, merged."""
    merged: dict[str, dict[str, Any]] = {"web": {}, "api": {}}
    here = Path(__file__).parent
    for path in [here / "matrix.toml", *sorted(here.glob("matrix_*.toml"))]:
        for section, rows in tomllib.loads(path.read_text()).items():
            clash = set(merged[section]) & set(rows)
            assert not clash, f"{path.name} repeats rows of another matrix file: {sorted(clash)}"
            merged[section].update(rows)
    return merged


MATRIX = _load_matrix()
API_PREFIX = "/api/v1"
WEB_METHODS = ("GET", "POST")


# --- discovery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WebRoute:
    name: str  # "namespace:url_name"
    pattern: str  # e.g. "w/<slug:workspace_slug>/customers/<int:customer_id>/"
    params: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[WebRoute]:
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "api":  # walked operation by operation below
                continue
            sub_ns = ":".join(x for x in (ns, p.namespace) if x)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), sub_ns)
        elif isinstance(p, URLPattern):
            if p.name is None:
                raise AssertionError(f"route {prefix}{p.pattern} has no name: name every route")
            full = f"{ns}:{p.name}" if ns else p.name
            pattern = prefix + str(p.pattern)
            yield WebRoute(full, pattern, tuple(re.findall(r"<(?:\w+:)?(\w+)>", pattern)))


def web_routes() -> list[WebRoute]:
    return sorted(_walk(get_resolver().url_patterns), key=lambda r: r.name)


@dataclass(frozen=True)
class ApiOperation:
    operation_id: str
    method: str
    path: str  # "/customers/{customer_id}"


def api_operations() -> list[ApiOperation]:
    from traction.api.urls import api

    schema = api.get_openapi_schema(path_prefix="")
    ops = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            ops.append(ApiOperation(op["operationId"], method.upper(), path))
    return sorted(ops, key=lambda o: o.operation_id)


# --- the world each case runs in -----------------------------------------------------------


@dataclass
class World:
    cast: Cast
    invitation_secret: str
    invitation: MemberInvitation
    tokens: dict[str, tuple[ApiToken, str]] = field(default_factory=dict)
    # Sessions: Acme's co-design session (cora note taker, olive observer, a pending outreach
    # request for Gina that owen decides, an invited contact with an RSVP link, cora's
    # question) and the same in Rival.
    acme: dict[str, Any] = field(default_factory=dict)
    rival: dict[str, Any] = field(default_factory=dict)
    # The third pass: Acme's objects outside the scoped roles' own scope — Initech (owned by
    # the admin, not owen), its contact Ian, the program "Renewals" nobody of the cast
    # belongs to, and a session there with everything the Onboarding session has.
    hidden: dict[str, Any] = field(default_factory=dict)

    def out_of_scope(self, principal: str) -> dict[str, Any]:
        """Ids of Acme's objects that ``principal`` (a scoped role) may not reach."""
        values = self.objects(principal, foreign=False)
        values["customer_id"] = self.cast.other_customer.pk
        values["contact_id"] = self.cast.other_contact.pk
        values["program_id"] = self.cast.other_program.pk
        for key in SESSION_KEYS:
            values[key] = self.hidden[key]
        values["pk"] = values["debrief_id"]  # the debrief pages' <int:pk>
        return values

    def objects(self, principal: str, foreign: bool) -> dict[str, Any]:
        c = self.cast
        own_token = self.tokens.get(principal if principal != "anonymous" else "admin")
        values = {
            "workspace_slug": c.acme.slug,
            "customer_id": (c.rival_customer if foreign else c.customer).pk,
            "contact_id": (c.rival_contact if foreign else c.contact).pk,
            "program_id": (c.rival_program if foreign else c.program).pk,
            "membership_id": (c.membership("stranger") if foreign else c.membership("observer")).pk,
            "invitation_id": self.invitation.pk,
            "token_id": own_token[0].pk if own_token else 0,
            "secret": self.invitation_secret,
            "token": self.acme["rsvp_token"],
            # Owen's "approval needed" notice; anyone else's "Open" of it leads to their list.
            "notice_id": self.acme["notice_id"],
            "vote_token": self.acme["vote_token"],
            "provider": "postmark",  # a mail provider's bounce hook (the secret is no bounce URL's)
            # Alice (the admin) is a policy maker of Onboarding (``build_world``).
            "user_id": c.users["admin"].pk,
        }
        for key in (*SESSION_KEYS, *WEBHOOK_KEYS):
            values[key] = (self.rival if foreign else self.acme)[key]
        values["pk"] = values["debrief_id"]  # the debrief pages' <int:pk>
        if foreign:
            rival_invitation, _ = account_services.invite_member(
                c.viewer("stranger"), email="someone@rival.test", role="observer"
            )
            values["invitation_id"] = rival_invitation.pk
            values["token_id"] = self.tokens["stranger"][0].pk
        return values


SESSION_KEYS = (
    "session_id",
    "request_id",
    "participant_id",
    "question_id",
    "scenario_id",
    "step_id",
    "insight_id",
    "candidate_id",
    "batch_id",
    "debrief_id",
    "support_id",
    "recommendation_id",
)
# A webhook endpoint of each workspace (its admin's), with a delivery that is over.
WEBHOOK_KEYS = ("endpoint_id", "delivery_id")
# Later apps' areas add their objects to each session world (``world_<area>.py``: ``KEYS``
# and ``extend(cast, world)``), asked and swapped like the session's own.
AREA_WORLDS = [
    importlib.import_module(f"tests.authz.{p.stem}")
    for p in sorted(Path(__file__).parent.glob("world_*.py"))
]
SESSION_KEYS += tuple(key for area in AREA_WORLDS for key in area.KEYS)
# The ids the third pass swaps for out-of-scope ones; a route with none of them has no case.
SCOPED_PARAMS = frozenset({"customer_id", "contact_id", "program_id", "pk", *SESSION_KEYS})
# Roles whose rules are OWN-scoped; admins and facilitators see the whole workspace.
SCOPED_PRINCIPALS = ("core_team", "sponsor", "account_owner", "observer")


def build_world(cast: Cast) -> World:
    invitation, link = account_services.invite_member(
        cast.viewer("admin"), email="newcomer@acme.test", role="observer"
    )
    world = World(
        cast=cast, invitation=invitation, invitation_secret=link.rstrip("/").rsplit("/", 1)[-1]
    )
    for principal in PRINCIPALS:
        if principal != "anonymous":
            world.tokens[principal] = account_services.create_api_token(
                cast.viewer(principal), name="authz"
            )
    world.acme = _session_world(cast, "facilitator", cast.program, cast.customer, "core_team")
    world.rival = _session_world(
        cast, "stranger", cast.rival_program, cast.rival_customer, "stranger"
    )
    world.hidden = _hidden_world(cast, world)
    world.acme.update(_webhook_world(cast, "admin"))
    world.rival.update(_webhook_world(cast, "stranger"))
    for area in AREA_WORLDS:
        area.extend(cast, world)
    # A policy maker who sees everything anyway, so no other row changes.
    from traction.programs import services as program_services

    program_services.add_policy_maker(
        cast.viewer("facilitator"), program=cast.program, user_id=cast.users["admin"].pk
    )
    # Both workspaces have a logo: the logo routes answer 200 to those who may see it.
    from traction.core.testing import images

    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    account_services.set_workspace_logo(cast.viewer("stranger"), data=images.png(rgb=(200, 0, 0)))
    from traction.accounts.models import Notice

    world.acme["notice_id"] = Notice.objects.filter(user=cast.users["account_owner"]).first().pk
    return world


# Words only the out-of-scope objects carry, per scoped principal: none may reach them.
# Owen (account owner, not in Onboarding) may see Globex's words in the Onboarding session,
# never Initech's; the Onboarding team sees the whole session, Ian's words included, but
# nothing of Renewals.
HIDDEN_PROGRAM_WORDS = [b"Renewals", b"Renewals hidden session"]
HIDDEN_CUSTOMER_WORDS = [b"Initech", b"Ian Initech", b"ian@initech.test", b"invoices vanish"]
HIDDEN_FROM = {
    "core_team": HIDDEN_PROGRAM_WORDS,
    "sponsor": HIDDEN_PROGRAM_WORDS,
    "observer": HIDDEN_PROGRAM_WORDS,
    "account_owner": HIDDEN_PROGRAM_WORDS + HIDDEN_CUSTOMER_WORDS,
}


def _hidden_world(cast: Cast, world: World) -> dict[str, Any]:
    """Initech gets an owner (the admin) and its contact Ian speaks in the Onboarding session
    (an issue with two of his dots on it); Renewals gets a session like Onboarding's."""
    from traction.customers import services as customer_services
    from traction.insights import services as insight_services
    from traction.sessions import services as session_services
    from traction.sessions.models import Session
    from traction.voting.models import Vote

    admin = cast.viewer("admin")
    customer_services.update_customer(
        admin, customer=cast.other_customer, changes={"account_owner_id": cast.users["admin"].pk}
    )
    customer_services.update_contact(
        admin, contact=cast.other_contact, changes={"consent_to_contact": True}
    )
    onboarding = Session.objects.get(pk=world.acme["session_id"])
    approved = session_services.request_outreach(
        admin, session=onboarding, contact=cast.other_contact
    )
    session_services.send_invitation(admin, request=approved)
    words = insight_services.capture_insight(
        cast.viewer("facilitator"),
        session=onboarding,
        kind="issue",
        text="Our invoices vanish after approval",
        speaker=f"c:{cast.other_contact.pk}",
        step_id=world.acme["step_id"],
    )
    Vote.objects.create(  # (Hank's card stays without dots: it may still be edited, removed)
        workspace_id=onboarding.workspace_id,
        session=onboarding,
        insight_id=words.pk,
        contact_id=cast.other_contact.pk,
        dots=2,
        channel="paper",
    )
    hidden = _session_world(
        cast, "facilitator", cast.other_program, cast.other_customer, "facilitator"
    )
    Session.objects.filter(pk=hidden["session_id"]).update(title="Renewals hidden session")
    return hidden


def _webhook_world(cast: Cast, admin: str) -> dict[str, Any]:
    from traction.webhooks import services as webhook_services
    from traction.webhooks.models import WebhookDelivery

    endpoint, _ = webhook_services.create_endpoint(
        cast.viewer(admin), url="https://hooks.example.test/traction", description="Authz hook"
    )
    sent = webhook_services.send_test(cast.viewer(admin), endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=sent.pk).update(status="delivered", attempts=1)
    return {"endpoint_id": endpoint.pk, "delivery_id": sent.pk}


def _session_world(
    cast: Cast, planner: str, program: Any, customer: Any, member: str
) -> dict[str, Any]:
    """A session a week ahead with a participant, a question, a pending outreach request (the
    customer's owner decides it) and an invited contact (requested by that owner: approved)."""
    from datetime import timedelta

    from django.utils import timezone

    from traction.customers import services as customer_services
    from traction.sessions import rsvp
    from traction.sessions import services as session_services

    v = cast.viewer(planner)
    start = timezone.now() + timedelta(days=7)
    session = session_services.plan_session(
        v,
        program=program,
        title="Authz session",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
    )
    participant = session_services.add_participant(
        v, session=session, user_id=cast.users[member].pk, role="note_taker"
    )
    if planner == "facilitator" and program == cast.other_program:
        owner = cast.viewer("admin")  # Initech's owner (see _hidden_world)
    elif planner == "facilitator":
        session_services.add_participant(
            v, session=session, user_id=cast.users["observer"].pk, role="observer"
        )
        owner = cast.viewer("account_owner")
    else:  # Rival: the stranger owns their own customer
        customer_services.update_customer(
            v, customer=customer, changes={"account_owner_id": cast.users["stranger"].pk}
        )
        owner = v
    question = session_services.submit_question(
        cast.viewer(member), session=session, text="What would you remove?"
    )
    pending_contact = customer.contacts.order_by("id").first()
    customer_services.update_contact(
        v, contact=pending_contact, changes={"consent_to_contact": True}
    )
    request = session_services.request_outreach(v, session=session, contact=pending_contact)
    invited_contact = customer_services.add_contact(
        v,
        customer=customer,
        name="Hank Invited",
        email=f"hank{customer.pk}@example.test",
        consent_to_contact=True,
    )
    approved = session_services.request_outreach(owner, session=session, contact=invited_contact)
    invitation = session_services.send_invitation(v, request=approved)
    fresh = customer_services.add_contact(
        v,
        customer=customer,
        name="Fay Fresh",
        email=f"fay{customer.pk}@example.test",
        consent_to_contact=True,
    )
    insights = _insight_world(v, session, invitation, invited_contact)
    return {
        **insights,
        **_debrief_world(session, insights.pop("evidence_id")),
        "fresh_contact_id": fresh.pk,
        "session_id": session.pk,
        "request_id": request.pk,
        "participant_id": participant.pk,
        "question_id": question.pk,
        "rsvp_token": rsvp.make_token(invitation.pk, invited_contact.pk),
    }


def _debrief_world(session: Any, insight_id: int) -> dict[str, Any]:
    """The session's debrief, in the room (status open, set directly on the row), its
    planner invited too; with one drafted recommendation citing the session's insight."""
    from traction.debrief.models import Attendee, Debrief, Evidence, Recommendation

    # Booked with the session when it was planned (its core team and sponsor invited).
    debrief = Debrief.objects.get(session=session)
    Debrief.objects.filter(pk=debrief.pk).update(status="open")
    if session.created_by_id:
        Attendee.objects.get_or_create(debrief=debrief, user_id=session.created_by_id)
    rec = Recommendation.objects.create(
        workspace_id=session.workspace_id,
        debrief=debrief,
        program_id=session.program_id,
        title="Authz recommendation",
    )
    Evidence.objects.create(recommendation=rec, insight_id=insight_id)
    return {"debrief_id": debrief.pk, "recommendation_id": rec.pk}


def _insight_world(v: Any, session: Any, invitation: Any, contact: Any) -> dict[str, Any]:
    """A scenario with two steps, an insight by the invited customer on the first, an import
    with one candidate in the review queue, and open voting with the customer's link."""
    from traction.insights import services as insight_services
    from traction.insights.models import ImportBatch, Insight, InsightStatus
    from traction.voting import links
    from traction.voting.models import VotingRound

    scenario = insight_services.create_scenario(
        v, session=session, title="Team Blue", steps=["Sign up", "First invoice"]
    )
    step, step2 = scenario.steps.order_by("position")
    insight = insight_services.capture_insight(
        v,
        session=session,
        kind="issue",
        text="Approval takes three weeks",
        speaker=f"c:{contact.pk}",
        step_id=step.pk,
    )
    # The debrief's recommendation cites its own card: ``insight_id`` stays free to remove.
    evidence = insight_services.capture_insight(
        v,
        session=session,
        kind="idea",
        text="One approver for small invoices",
        speaker=f"c:{contact.pk}",
        step_id=step.pk,
    )
    batch = ImportBatch.objects.create(
        workspace_id=session.workspace_id,
        session=session,
        format="text",
        filename="notes.txt",
        sha256=f"{session.pk:064d}",
        rows=1,
    )
    candidate = Insight.objects.create(
        workspace_id=session.workspace_id,
        program_id=session.program_id,
        session=session,
        kind="quote",
        text="We print every invoice twice",
        status=InsightStatus.CANDIDATE,
        source="import",
        batch=batch,
        source_line=1,
    )
    VotingRound.objects.create(workspace_id=session.workspace_id, session=session, budget=3)
    support = insight_services.add_step_support(v, step=step, name="Billing support")
    return {
        "support_id": support.pk,
        "scenario_id": scenario.pk,
        "step_id": step.pk,
        "step2_id": step2.pk,
        "insight_id": insight.pk,
        "evidence_id": evidence.pk,
        "candidate_id": candidate.pk,
        "batch_id": batch.pk,
        "vote_token": links.make_token(invitation.pk, contact.pk),
        "invited_contact_id": contact.pk,
    }


def expected_row(section: str, key: str, method: str) -> dict[str, int]:
    if DRAFT:
        return dict.fromkeys(PRINCIPALS, 0)
    try:
        row = MATRIX[section][key][method]
    except KeyError:
        pytest.fail(f"No rule in tests/authz/matrix.toml for {section} {key} {method}: add a row.")
    statuses = [int(s) for s in row.split()]
    assert len(statuses) == len(PRINCIPALS), f"{key} {method}: need {len(PRINCIPALS)} columns"
    return dict(zip(PRINCIPALS, statuses, strict=True))


def _resolve(data: Any, world: World) -> Any:
    """Body values written "@name" in the matrix are ids of the world's objects."""
    if isinstance(data, dict):
        return {k: _resolve(v, world) for k, v in data.items()}
    if isinstance(data, list):
        return [_resolve(v, world) for v in data]
    if data == "@null":  # TOML has no null
        return None
    if isinstance(data, str) and data.startswith("@"):
        name = data[1:]
        if name.startswith("user:"):
            return world.cast.users[name[5:]].pk
        return world.acme[name] if name in world.acme else getattr(world.cast, name).pk
    return data


def _fill(pattern: str, values: dict[str, Any]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), pattern)


def _aliased(values: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    """A row's ``ids = { update_id = "sent_update_id" }`` fills a route's parameter from
    another of the world's objects (two areas need an object of one kind in different
    states: an update waiting for approval, a sent one)."""
    aliases = MATRIX.get(section, {}).get(key, {}).get("ids", {})
    return {**values, **{param: values[source] for param, source in aliases.items()}}


def _acceptable_foreign(expected_own: int) -> set[int]:
    # Another workspace's object: 404; a role barred from the whole kind may say 403 first;
    # an anonymous visitor is sent to sign in / told to authenticate.
    if expected_own in (302, 401):
        return {expected_own}
    return {404, 403} if expected_own == 403 else {404}


# --- the tests -----------------------------------------------------------------------------

CHECKED: list[int] = []
THIRD_PASS: list[int] = []


# Names only Acme's objects carry: none may reach the stranger, whatever the status.
ACME_ONLY = [b"Globex", b"Initech", b"Effortless onboarding", b"gina@globex.test", b"acme.test"]


def _run(client: Client, method: str, url: str, data: dict[str, Any] | None, api: bool) -> int:
    if method == "GET":
        response = client.get(url, data)  # GET_data: the query string
    elif api:
        response = client.generic(
            method, url, json.dumps(data or {}), content_type="application/json"
        )
    else:
        response = client.post(url, data or {})
    # (An invitation link is the credential: whoever holds it may read whom it invites.)
    principal = getattr(client, "principal", None)
    # (A download streams its body: read it whole, so exports are checked like pages.)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # (The calendar file behind a customer's RSVP link names the program and the organiser, as
    # the invitation email its holder received did: the signed link is the credential.)
    credential = url.startswith("/invitations/") or (
        url.startswith("/rsvp/") and url.endswith("/calendar.ics")
    )
    if principal == "stranger" and not credential:
        leaked = [name for name in ACME_ONLY if name in body]
        assert not leaked, f"{method} {url} showed the stranger {leaked}"
    # (A customer's signed link shows that customer's own session to whoever holds it; what a
    # customer may see is tested with the customer principal in tests/authz/test_customers.py.)
    if principal in HIDDEN_FROM and not url.startswith(("/vote/", "/rsvp/")):
        leaked = [name for name in HIDDEN_FROM[principal] if name in body]
        assert not leaked, (
            f"{method} {url} showed {principal} what is outside their scope: {leaked}"
        )
    return response.status_code


def _client(world: World, principal: str, api: bool) -> Client:
    if api:
        headers = {}
        if principal != "anonymous":
            headers["Authorization"] = f"Bearer {world.tokens[principal][1]}"
        client = Client(raise_request_exception=False, headers=headers)
    else:
        client = Client(raise_request_exception=False)
        if principal != "anonymous":
            client.force_login(world.cast.users[principal])
    client.principal = principal  # type: ignore[attr-defined]
    return client


def every_pass() -> bool:
    """Whether this run asks all three passes, or the first alone.

    The first pass (every principal, on its own workspace's objects; the stranger's on Acme's)
    is where a database could answer differently: a route that fails on one only. The second
    and third (another workspace's objects; objects outside a scoped role's own scope) check
    the policy's logic, the same queries on every database: they run in the SQLite step,
    and the PostgreSQL step, which the API fuzzing already makes the longer, asks the first
    (``AUTHZ_EVERY_PASS=1`` asks all three there too)."""
    return connection.vendor == "sqlite" or os.environ.get("AUTHZ_EVERY_PASS") == "1"


def _check_cases(world: World, key: str, method: str, pattern: str, api: bool) -> list[str]:
    section = "api" if api else "web"
    expected = expected_row(section, key, method)
    raw_data = MATRIX.get(section, {}).get(key, {}).get(f"{method}_data")
    failures = []
    observed: dict[str, int] = {}
    passes = (False, True) if every_pass() else (False,)
    for principal in PRINCIPALS:
        for foreign in passes:
            if foreign and (principal == "stranger" or not re.search(r"[<{]\w*_id[>}]", pattern)):
                continue  # the stranger's own pass already asks for Acme's objects
            with transaction.atomic():
                values = _aliased(world.objects(principal, foreign), section, key)
                data = _resolve(raw_data, world)
                url = "/" + _fill(pattern.replace("{", "<").replace("}", ">"), values).lstrip("/")
                if api:
                    url = API_PREFIX + url
                status = _run(_client(world, principal, api), method, url, data, api)
                transaction.set_rollback(True)
            CHECKED.append(1)
            if not foreign:
                observed[principal] = status
            want = expected[principal]
            ok = status in _acceptable_foreign(want) if foreign else status == want
            if not ok:
                where = "another workspace's object" if foreign else "own workspace"
                failures.append(
                    f"{method} {url} as {principal} ({where}): got {status}, matrix says {want}"
                )
    if every_pass():
        failures += _check_out_of_scope(world, key, method, pattern, api, expected)
    if DRAFT:
        row = " ".join(f"{observed[p]:>3}" for p in PRINCIPALS)
        print(f'DRAFT [{section}."{key}"] {method} = "{row}"')
        return []
    return failures


def _check_out_of_scope(
    world: World, key: str, method: str, pattern: str, api: bool, expected: dict[str, int]
) -> list[str]:
    """The third pass: each scoped role asks for an object of its own workspace outside its
    own scope (another owner's customer, a program it does not belong to, a session there).
    The answer must be 404 (not theirs to know about), unless the row names another with
    ``OUT_<METHOD>`` (403 where a route refuses the role before fetching anything, because
    the role may not do this at all); a wrong method stays 405. One refusal per case."""
    params = set(re.findall(r"[<{](?:\w+:)?(\w+)[>}]", pattern))
    if not params & SCOPED_PARAMS:
        return []
    section = "api" if api else "web"
    override = MATRIX.get(section, {}).get(key, {}).get(f"OUT_{method}")
    wanted = (
        dict(zip(PRINCIPALS, (int(x) for x in override.split()), strict=True)) if override else {}
    )
    raw_data = MATRIX.get(section, {}).get(key, {}).get(f"{method}_data")
    failures = []
    for principal in SCOPED_PRINCIPALS:
        with transaction.atomic():
            values = _aliased(world.out_of_scope(principal), section, key)
            data = _resolve(raw_data, world)
            url = "/" + _fill(pattern.replace("{", "<").replace("}", ">"), values).lstrip("/")
            if api:
                url = API_PREFIX + url
            status = _run(_client(world, principal, api), method, url, data, api)
            transaction.set_rollback(True)
        THIRD_PASS.append(1)
        own = expected[principal]
        if principal in wanted:
            ok, want = status == wanted[principal], str(wanted[principal])
        elif own != 405:
            # Outside its scope an object is "not yours to know about": fetching is checking,
            # so it is refused like a missing one (404). Where a route refuses the role first
            # (it may not do this at all, 403), the row says so with OUT_<METHOD>.
            ok, want = status == 404, "404"
        else:
            ok, want = status == own, str(own)
        if not ok and not DRAFT:
            failures.append(
                f"{method} {url} as {principal} (own workspace, outside own scope): "
                f"got {status}, want {want}"
            )
        if not ok and DRAFT:
            print(f'DRAFT OUT [{section}."{key}"] {method} {principal}: {status}')
    return failures


@pytest.mark.django_db
@pytest.mark.parametrize("route", web_routes(), ids=lambda r: r.name)
def test_web_route_matches_matrix(cast: Cast, route: WebRoute) -> None:
    world = built_on(cast, build_world)  # built once per process, restored for each test
    failures = []
    for method in WEB_METHODS:
        failures += _check_cases(world, route.name, method, route.pattern, api=False)
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("op", api_operations(), ids=lambda o: o.operation_id)
def test_api_operation_matches_matrix(cast: Cast, op: ApiOperation) -> None:
    world = built_on(cast, build_world)
    failures = _check_cases(world, op.operation_id, op.method, op.path, api=True)
    assert not failures, "\n".join(failures)


def test_matrix_has_no_rows_for_routes_that_do_not_exist() -> None:
    web = {r.name for r in web_routes()}
    api = {o.operation_id for o in api_operations()}
    assert sorted(set(MATRIX.get("web", {})) - web) == []
    assert sorted(set(MATRIX.get("api", {})) - api) == []

"""API operations for programs and their teams: parse, call one selector or service, shape."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from traction.core.api import Pagination, responses, viewer

from . import selectors, services
from .models import Program
from .schemas import (
    PolicyMakerIn,
    PolicyMakersIn,
    ProgramCreateIn,
    ProgramDetailOut,
    ProgramFilters,
    ProgramOut,
    ProgramTeamIn,
    ProgramUpdateIn,
)

router = Router(tags=["programs"])


@router.get(
    "/programs",
    response=responses({200: list[ProgramOut]}),
    operation_id="list_programs",
    summary="List programs",
)
@paginate(Pagination)
def list_programs(request: HttpRequest, filters: Query[ProgramFilters]) -> QuerySet[Program]:
    """The programs you may see (admins and facilitators: all; others: those they belong to)."""
    return selectors.programs(viewer(request), **filters.model_dump())


@router.post(
    "/programs",
    response=responses({201: ProgramDetailOut}, body=True),
    operation_id="create_program",
    summary="Start a program",
)
def create_program(request: HttpRequest, payload: ProgramCreateIn) -> Status[Program]:
    return Status(201, services.create_program(viewer(request), **payload.model_dump()))


@router.get(
    "/programs/{program_id}",
    response=responses({200: ProgramDetailOut}, object_path=True),
    operation_id="get_program",
    summary="Get a program with its sponsor, core team and observers",
)
def get_program(request: HttpRequest, program_id: int) -> Program:
    return selectors.program(viewer(request), program_id)


@router.patch(
    "/programs/{program_id}",
    response=responses({200: ProgramDetailOut}, body=True, object_path=True, versioned=True),
    operation_id="update_program",
    summary="Change some of a program's fields",
)
def update_program(request: HttpRequest, program_id: int, payload: ProgramUpdateIn) -> Program:
    v = viewer(request)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    program = selectors.program(v, program_id)
    return services.update_program(v, program=program, changes=changes, version=version)


@router.put(
    "/programs/{program_id}/team",
    response=responses({200: ProgramDetailOut}, body=True, object_path=True),
    operation_id="set_program_team",
    summary="Set a program's core team and observers",
)
def set_program_team(request: HttpRequest, program_id: int, payload: ProgramTeamIn) -> Program:
    v = viewer(request)
    program = selectors.program(v, program_id)
    services.set_program_team(
        v, program=program, core_team_ids=payload.core_team_ids, observer_ids=payload.observer_ids
    )
    return selectors.program(v, program_id)


@router.post(
    "/programs/{program_id}/policy-makers",
    response=responses({201: ProgramDetailOut}, body=True, object_path=True),
    operation_id="add_policy_maker",
    summary="Name a policy maker of a program",
)
def add_policy_maker(
    request: HttpRequest, program_id: int, payload: PolicyMakerIn
) -> Status[Program]:
    """A workspace member who decides the program's recommendations with the executive
    sponsor; they see the program and its sessions."""
    v = viewer(request)
    program = selectors.program(v, program_id)
    services.add_policy_maker(
        v, program=program, user_id=payload.user_id, responsibility=payload.responsibility
    )
    return Status(201, selectors.program(v, program_id))


@router.put(
    "/programs/{program_id}/policy-makers",
    response=responses({200: ProgramDetailOut}, body=True, object_path=True),
    operation_id="set_policy_makers",
    summary="Set a program's policy makers",
)
def set_policy_makers(request: HttpRequest, program_id: int, payload: PolicyMakersIn) -> Program:
    v = viewer(request)
    program = selectors.program(v, program_id)
    services.set_policy_makers(
        v,
        program=program,
        people=[(p.user_id, p.responsibility) for p in payload.policy_makers],
    )
    return selectors.program(v, program_id)


@router.delete(
    "/programs/{program_id}/policy-makers/{user_id}",
    response=responses({200: ProgramDetailOut}, object_path=True),
    operation_id="remove_policy_maker",
    summary="Stop a policy maker deciding for a program (history kept)",
)
def remove_policy_maker(request: HttpRequest, program_id: int, user_id: int) -> Program:
    v = viewer(request)
    program = selectors.program(v, program_id)
    services.remove_policy_maker(v, program=program, user_id=user_id)
    return selectors.program(v, program_id)

"""Web pages: the session's top questions (asking, upvoting, and picking the ones for the
end of the session)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from traction.core import permissions
from traction.core.errors import ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, apply_domain_errors, workspace_view
from traction.sessions import selectors, services
from traction.sessions.forms import QuestionForm

from .common import S, error_line


@workspace_view
@require_http_methods(["GET", "POST"])
def questions(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    form = QuestionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_question(viewer, session=session, text=form.cleaned_data["text"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Your question was added. Others can now upvote it.")
            return redirect(
                "sessions:questions", workspace_slug=request.workspace.slug, session_id=session.pk
            )
    return render(
        request,
        "sessions/questions.html",
        {
            "form": form,
            "session": session,
            "questions": list(selectors.questions(viewer, session)),
            "can_ask": permissions.can(viewer, "question.ask", session),
            "can_pick": permissions.can(viewer, "question.pick", session),
        },
    )


@workspace_view
@require_POST
def question_upvote(request: WorkspaceRequest, viewer: Viewer, question_id: int) -> HttpResponse:
    question = selectors.question(viewer, question_id)
    up = request.POST.get("up") != "0"
    services.upvote_question(viewer, question=question, up=up)
    return redirect(
        "sessions:questions", workspace_slug=request.workspace.slug, session_id=question.session_id
    )


@workspace_view
@require_POST
def questions_pick(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="question.pick")
    picked = [n for v in request.POST.getlist("pick") if (n := whole_number(v)) is not None]

    def order(qid: int) -> tuple[int, int]:
        n = whole_number(request.POST.get(f"order_{qid}", "").strip(), high=10_000)
        return (n if n is not None else 10_000, picked.index(qid))

    try:
        chosen = services.pick_questions(
            viewer, session=session, question_ids=sorted(picked, key=order)
        )
    except ValidationFailed as exc:
        messages.error(request, error_line(exc))
    else:
        messages.success(
            request,
            f"{len(chosen)} question{'s' if len(chosen) != 1 else ''} picked for the end of "
            "the session.",
        )
    return redirect(
        "sessions:questions", workspace_slug=request.workspace.slug, session_id=session.pk
    )


urlpatterns: list[URLPattern] = [
    path(S + "questions/", questions, name="questions"),
    path(S + "questions/pick/", questions_pick, name="questions_pick"),
    path("questions/<int:question_id>/upvote/", question_upvote, name="question_upvote"),
]

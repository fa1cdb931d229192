"""Periodic work every app registers: reminders, deadlines, deliveries.

``traction remind`` (from cron, e.g. every 15 minutes) and the background worker run every
registered job in order; each job is idempotent (running it twice in a row sends nothing
twice) and returns counts for the command's one-line summary. Apps register in
``AppConfig.ready``: ``periodic.register("debrief.clock", clock_job, order=20)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Job = Callable[[], dict[str, int]]


@dataclass(frozen=True)
class Periodic:
    name: str
    job: Job
    description: str
    order: int


_jobs: dict[str, Periodic] = {}


def register(name: str, job: Job, *, description: str, order: int = 100) -> None:
    """Run ``job()`` on every ``traction remind``; idempotent per ``name``."""
    _jobs[name] = Periodic(name, job, description, order)


def jobs() -> list[Periodic]:
    return sorted(_jobs.values(), key=lambda p: (p.order, p.name))


def run_all() -> dict[str, dict[str, int]]:
    """Every job, in order; one job's failure does not stop the others (it is re-raised
    after the rest ran, so cron reports it)."""
    done: dict[str, dict[str, int]] = {}
    failure: BaseException | None = None
    for p in jobs():
        try:
            done[p.name] = p.job()
        except Exception as exc:  # reported after the others ran
            failure = failure or exc
    if failure is not None:
        raise failure
    return done

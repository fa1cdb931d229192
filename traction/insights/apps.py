from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _repair_search_index(using: str = "default", **kwargs: Any) -> None:
    # A later migration that rebuilds the insight table on SQLite drops the search triggers
    # with the old table; put them back (and re-index) whenever migrations have run.
    from traction.insights.search import index

    if index.repair_sqlite_index(using) and kwargs.get("verbosity", 1) >= 1:
        print("Search index: the full-text triggers were missing; recreated and re-indexed.")


class InsightsConfig(AppConfig):
    name = "traction.insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from traction.core import events, navigation, sections
        from traction.core.permissions import registry
        from traction.sessions import records

        from . import handlers, rules, selectors

        registry.register(rules.RULES)
        for event, handler in handlers.SUBSCRIPTIONS:
            events.subscribe(event, handler)
        records.register("insights", handlers.recorded_in_session)
        post_migrate.connect(_repair_search_index, sender=self)
        navigation.register(
            "search",
            label="Search",
            url_name="insights:search",
            action="insight.view",
            order=40,
            current=["insights:search"],
        )
        sections.register(
            "session",
            "capture",
            template="insights/includes/session_capture.html",
            action="insight.view",
            context=selectors.session_summary,
        )

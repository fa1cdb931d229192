from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "traction.voting"
    label = "voting"
    verbose_name = "Voting"

    def ready(self) -> None:
        from traction.core import events, sections
        from traction.core.permissions import registry
        from traction.insights import erasure as insight_erasure
        from traction.insights import extensions
        from traction.sessions import records

        from . import cards, erasure, handlers, home, rules, selectors

        registry.register(rules.RULES)
        for event, handler in handlers.SUBSCRIPTIONS:
            events.subscribe(event, handler)
        extensions.register(cards.EXTENSION)
        records.register("voting", handlers.recorded_in_session)
        insight_erasure.register(erasure.STEP)
        sections.register(
            "session",
            "voting",
            template="voting/includes/session_voting.html",
            action="insight.view",
            context=selectors.session_section,
        )
        sections.register(
            "home-overview",
            "top_cards",
            template="voting/includes/home_top_cards.html",
            action="insight.view",
            order=30,
            context=home.top_cards,
        )
        sections.register(
            "board",
            "voting",
            template="voting/includes/board_links.html",
            action="insight.view",
            context=selectors.board_section,
        )

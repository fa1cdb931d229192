"""The insights pages, one module per area: maps (scenario maps, journey grid, live capture,
review queue), imports, voting and search. Each module holds its own ``urlpatterns``."""

"""The insights pages, one module per area: maps (scenario maps, journey grid, live capture,
editing insights), imports (upload, preview, the review queue), voting and search. Each
module holds its own ``urlpatterns``."""

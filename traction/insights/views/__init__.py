"""The insights pages, one module per area: maps (scenario maps, journey grid, live capture,
editing insights), voting and search. Each module holds its own ``urlpatterns``. Imports
(upload, preview, the review queue) are in ``insights/imports/views.py``."""

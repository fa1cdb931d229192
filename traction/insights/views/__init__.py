"""The insights pages, one module per area: maps (scenario maps, journey grid, live capture,
editing insights) and exports. Each module holds its own ``urlpatterns``. Imports (upload,
preview, the review queue) are in ``insights/imports/views.py``, search in
``insights/search/views.py``; voting has its own app, ``traction.voting``."""

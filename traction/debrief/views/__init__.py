"""The debrief's pages, one module per area: the clock and the list (``clock``), the room with
recommendations and decisions (``room``), action items (``actions``), the scorecard
(``scorecards``), closing and the debrief pack (``pack``). Each module holds its own
``urlpatterns``, gathered by ``traction/debrief/urls.py``."""

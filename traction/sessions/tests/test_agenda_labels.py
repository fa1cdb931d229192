"""The agenda editor on a phone (newcomer walk): the table's header is hidden under 40rem, so
each field carries its own label naming its column ("Order", "Title", "Minutes", "Notes",
"Remove") — a real <label for> tied to the input, shown on a phone, not a placeholder."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from django.urls import reverse

from traction.sessions import services
from traction.sessions.tests.test_views import day

COLUMNS = {"ORDER": "Order", "title": "Title", "minutes": "Minutes", "notes": "Notes"}


class Fields(HTMLParser):
    """The agenda table's inputs (by id) and each label's text and class (by its ``for``)."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}  # id -> name
        self.labels: dict[str, tuple[str, str]] = {}  # for -> (text, class)
        self._label: tuple[str, str] | None = None
        self._text: list[str] = []
        self._in_table = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table" and "agenda-table" in a.get("class", ""):
            self._in_table = True
        if not self._in_table:
            return
        if tag in ("input", "textarea", "select") and a.get("type") != "hidden":
            self.inputs[a["id"]] = a["name"]
        if tag == "label":
            self._label, self._text = (a.get("for", ""), a.get("class", "")), []

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        if tag == "label" and self._label is not None:
            target, css = self._label
            self.labels[target] = (" ".join("".join(self._text).split()), css)
            self._label = None


def test_every_agenda_field_has_a_label_naming_its_column(cast, client_for) -> None:
    start = day() + timedelta(hours=9)
    session = services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        time_zone="Europe/Berlin",
    )
    page = (
        client_for("facilitator")
        .get(reverse("sessions:agenda", args=["acme", session.pk]))
        .content.decode()
    )
    fields = Fields()
    fields.feed(page)
    assert len(fields.inputs) >= 5 * 6  # the template's six rows, five fields each
    for input_id, name in fields.inputs.items():
        row = int(name.split("-")[1]) + 1
        field = name.split("-")[2]
        text, css = fields.labels[input_id]
        expected = f"Remove row {row}" if field == "DELETE" else f"{COLUMNS[field]} of row {row}"
        assert text == expected, (name, text)
        # Not hidden for good: the label's class is the one a phone shows.
        assert css == "cell-label", (name, css)

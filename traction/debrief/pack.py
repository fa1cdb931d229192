"""The debrief pack as a document: one template (``debrief/pack/document.html``, the same
body as the page in the app) rendered as a standalone HTML file or, by WeasyPrint, as a PDF
of text (fonts from the system: pango and DejaVu, docs/deploy.md).

Generated from the data each time, as the viewer may see it (``selectors_pack.pack``);
nothing of it is stored.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from traction.core import clock
from traction.core.permissions import Viewer

from . import selectors_pack
from .models import Debrief

CSS_PATH = Path(__file__).parent / "static" / "debrief" / "pack" / "print.css"
FORMATS = ("pdf", "html")


@cache
def print_css() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


def context(viewer: Viewer, debrief: Debrief) -> dict[str, Any]:
    return {
        "pack": selectors_pack.pack(viewer, debrief, now=clock.now()),
        "debrief": debrief,
        "zone": zone(debrief),
    }


def zone(debrief: Debrief) -> str:
    """Times in the session's zone, as on the session's pages (the pack says which)."""
    return debrief.session.time_zone or "UTC"


def render_html(viewer: Viewer, debrief: Debrief, *, standalone: bool = True) -> str:
    """The pack as one HTML document; ``standalone`` embeds its stylesheet so the file reads
    the same anywhere (the download and the CLI; the PDF gets the stylesheet from WeasyPrint)."""
    with timezone.override(zone(debrief)):
        html = str(render_to_string("debrief/pack/document.html", context(viewer, debrief)))
    if standalone:
        html = html.replace("</head>", f"<style>\n{print_css()}</style>\n</head>", 1)
    return html


def render_pdf(viewer: Viewer, debrief: Debrief) -> bytes:
    """The pack as a PDF (text, not pictures), from the same document."""
    # Loaded on demand: pango is needed only for PDFs.
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    html = render_html(viewer, debrief, standalone=False)
    pdf = HTML(string=html).write_pdf(stylesheets=[CSS(string=print_css())])
    assert pdf is not None
    return bytes(pdf)


def render(viewer: Viewer, debrief: Debrief, fmt: str) -> bytes:
    if fmt == "pdf":
        return render_pdf(viewer, debrief)
    if fmt == "html":
        return render_html(viewer, debrief).encode("utf-8")
    raise ValueError(f"Unknown pack format {fmt!r}; use one of {FORMATS}.")


def filename(debrief: Debrief, fmt: str) -> str:
    """e.g. "debrief-pack-onboarding-co-design-2027-03-27.pdf"."""
    moment = debrief.closed_at or debrief.due_at
    day = moment.astimezone(clock.zone(zone(debrief))).date().isoformat()  # the pack's day
    return f"debrief-pack-{slugify(debrief.session.title)[:60] or debrief.pk}-{day}.{fmt}"

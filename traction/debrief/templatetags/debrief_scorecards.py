"""Template filters of the scorecard pages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from traction.debrief.measurements_csv import MAX_DECIMALS

register = template.Library()


@register.filter
def num(value: Any) -> str:
    """A measured value as people write it: 12.5, not 12.5000 or 1.25E+1; empty for None.
    A computed one (a forecast read between two of its points, a ratio) is rounded to the
    decimals a measurement may have (4), so it reads like the values beside it: 55, not
    55.00; 8.3333, not 8.33333333333."""
    if value is None or value == "":
        return ""
    d = Decimal(str(value))
    if d.is_finite() and isinstance(e := d.as_tuple().exponent, int) and e < -MAX_DECIMALS:
        d = d.quantize(Decimal(1).scaleb(-MAX_DECIMALS), rounding=ROUND_HALF_UP)
    return f"{d.normalize():f}"


@register.filter
def status_badge(status: str) -> str:
    """The badge class of a progress status."""
    return {"achieved": "badge-ok", "on_track": "badge-ok", "behind": "badge-warn"}.get(
        status, "badge-muted"
    )


@register.simple_tag
def scorecard_row(row: Any, metric_base: str) -> SafeString:
    """One row of the program's scorecard (a ``selectors_scorecards.ScorecardRow`` with its
    ``sparkline``): the metric and what it is, its latest value, baseline → target, progress
    and trend. Drawn here, every piece escaped by ``format_html``, rather than by a block of
    template per row: the page lists 25 of them."""
    m, p = row.metric, row.progress
    about = [m.get_direction_display()]
    if m.unit:
        about.append(m.unit)
    if m.numerator_id:
        about.append(format_html("{} ÷ {}", m.numerator.name, m.denominator.name))
    if m.owner:
        about.append(str(m.owner))
    missing = (
        format_html(
            '\n      <br><span class="badge badge-warn">Not ready</span> '
            '<span class="small">missing: {}</span>',
            ", ".join(row.missing),
        )
        if row.missing
        else ""
    )
    if row.latest is not None:
        latest = format_html(
            '{}<br><span class="muted small">{}</span>',
            num(row.latest),
            formats.date_format(row.latest_on, "j M Y"),
        )
    else:
        latest = mark_safe('<span class="muted">—</span>')
    by = (
        format_html(
            '<br><span class="muted small">by {}</span>', formats.date_format(m.target_on, "j M Y")
        )
        if m.target_on
        else ""
    )
    bar = (
        format_html(
            '<progress class="scorecard-progress" max="100" value="{}" '
            'aria-label="Progress of {}">{}%</progress> {}%<br>',
            p.bar,
            m.name,
            p.percent,
            p.percent,
        )
        if p.percent is not None
        else ""
    )
    return format_html(
        '<tr>\n    <td><a href="{}{}/">{}</a>\n      <br><span class="muted small">{}</span>{}\n'
        '    </td>\n    <td class="num">{}</td>\n    <td class="num">{} → {}{}</td>\n'
        '    <td>{}<span class="badge {}">{}</span></td>\n    <td>{}</td>\n  </tr>',
        metric_base,
        m.pk,
        m.name,
        format_html_join(" · ", "{}", ((a,) for a in about)),
        missing,
        latest,
        num(m.baseline) or "?",
        num(m.target) or "?",
        by,
        bar,
        status_badge(p.status),
        p.label,
        row.sparkline,
    )

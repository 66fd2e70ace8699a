"""How the portal writes things, the same on every page: money with its currency, possessives
of company names, and the small icons next to statuses and buttons. A template builtin
(settings.TEMPLATES), so no page needs to load it."""

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from entitle.core import text, units

register = template.Library()


register.filter("money", text.money)
register.filter("possessive", text.possessive)


@register.filter
def valid_through(end):
    """The last day covered by something that ends on `end` (the first day not covered)."""
    return units.valid_through(end) if end else end


@register.filter
def days_from_today(day) -> int:
    return (day - timezone.localdate()).days if day else 0


@register.simple_tag
def currency() -> str:
    return settings.ENTITLE["CURRENCY"]


# 24×24 outline glyphs, drawn with the text's colour (stroke="currentColor").
ICONS = {
    "active": '<circle cx="12" cy="12" r="9"/><path d="m8 12.5 3 3 5-6"/>',
    "not yet valid": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    "expiring": '<path d="M12 3 2 20h20z"/><path d="M12 10v4m0 3v.5"/>',
    "grace": '<path d="M7 3h10M7 21h10M8 3c0 5 8 5 8 9s-8 4-8 9M16 3c0 5-8 5-8 9s8 4 8 9"/>',
    "expired": '<circle cx="12" cy="12" r="9"/><path d="m9 9 6 6m0-6-6 6"/>',
    "suspended": '<circle cx="12" cy="12" r="9"/><path d="M10 8v8m4-8v8"/>',
    "menu": '<path d="M4 7h16M4 12h16M4 17h16"/>',
    "search": '<circle cx="11" cy="11" r="6"/><path d="m20 20-4.5-4.5"/>',
}


@register.simple_tag
def icon(name: str) -> SafeString:
    """An inline SVG icon: decorative (the text next to it says the same), so hidden from
    screen readers."""
    glyph = ICONS.get(str(name))
    if glyph is None:
        return mark_safe("")
    return format_html(
        '<svg class="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" '
        'focusable="false" fill="none" stroke="currentColor" stroke-width="2" '
        'stroke-linecap="round" stroke-linejoin="round">{}</svg>',
        mark_safe(glyph),  # noqa: S308 — constant markup from ICONS above
    )


# --- Lists (entitle.core.listing.list_response): sortable headers and the next page's link.


@register.simple_tag(takes_context=True)
def sort_th(context, name: str, label: str, css: str = "") -> SafeString:
    """A column header that sorts the list by its column; again, the other way round."""
    query = context["query"].copy()
    current = context["page"].sort
    ascending = current == name
    query["sort"] = f"-{name}" if ascending else name
    aria = "ascending" if ascending else "descending" if current == f"-{name}" else "none"
    arrow = {"ascending": " ▲", "descending": " ▼", "none": ""}[aria]
    return format_html(
        '<th class="{}" aria-sort="{}"><a class="sort" href="?{}">{}<span aria-hidden="true">{}'
        "</span></a></th>",
        css,
        aria,
        query.urlencode(),
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def list_query(context, **changes) -> str:
    """The list's query string with some parameters changed (a cursor, the CSV format)."""
    query = context["query"].copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()

"""Every status badge and the base text colours are at WCAG AA contrast (at least 4.5:1)."""

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[1] / "static" / "entitle" / "portal.css").read_text()
STATUSES = ["active", "not-yet-valid", "expiring", "grace", "expired", "suspended"]


def luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def badge(status: str) -> tuple[str, str]:
    rule = re.search(rf"\.badge-{status} \{{([^}}]*)\}}", CSS).group(1)
    return (
        re.search(r"(?<!-)color:(#[0-9a-f]{6})", rule).group(1),
        re.search(r"background:(#[0-9a-f]{6})", rule).group(1),
    )


def test_the_contrast_formula():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#b26a00", "#ffffff"), 2) == 4.24  # the old amber: below AA


@pytest.mark.parametrize("status", STATUSES)
def test_each_badge_is_readable(status):
    text, background = badge(status)
    assert contrast(text, background) >= 4.5


def test_each_status_looks_different():
    assert len({badge(status) for status in STATUSES}) == len(STATUSES)


@pytest.mark.parametrize("variable", ["ink", "muted", "brand", "error", "amber"])
def test_text_colours_on_white_and_on_the_page(variable):
    colour = re.search(rf"--{variable}:(#[0-9a-f]{{6}})", CSS).group(1)
    page = re.search(r"--bg:(#[0-9a-f]{6})", CSS).group(1)
    assert contrast(colour, "#ffffff") >= 4.5
    assert contrast(colour, page) >= 4.5

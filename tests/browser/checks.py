"""What the browser tests check on every page: axe-core, reflow at 200 % zoom, keyboard focus, screenshots.

Each helper takes a Playwright page that has finished loading and fails the test with a message
that says what is wrong and where (rule, help text, CSS selectors), so a failure can be fixed
without rerunning the browser.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA only; axe's best-practice rules are advice, not the standard we promise.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
# 1280 CSS px at 200 % zoom: what WCAG 1.4.10 (reflow) and 1.4.4 (resize text) are tested at.
ZOOMED_VIEWPORT = {"width": 640, "height": 400}
NATIVE_PICKER_TYPES = {"date", "datetime-local", "month", "time", "week"}
# Set to a folder (docs/guides/images) to refresh the staff guide's screenshots; unset, nothing is written.
SCREENSHOT_DIR = os.environ.get("CIVICDESK_SCREENSHOTS", "")


def axe_check(page: Any, *, label: str = "") -> list[dict[str, Any]]:
    """Run axe-core on the page; fail on serious or critical WCAG 2.1 A/AA violations.

    Returns the lesser violations (moderate, minor) so that a test may report them.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=_axe_source())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    violations: list[dict[str, Any]] = result["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(f"axe-core on {label or page.url}:\n" + "\n".join(_describe(v) for v in blocking), pytrace=False)
    # axe accepts an aria-describedby of which one id exists; a field whose error text is not
    # found is still an error that a screen reader never reads (WCAG 3.3.1, 4.1.2).
    dangling = page.evaluate("""() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby]')]
        .flatMap(el => ['aria-describedby', 'aria-labelledby'].flatMap(name =>
            (el.getAttribute(name) || '').split(/\\s+/).filter(id => id && !document.getElementById(id))
                .map(id => `${el.tagName.toLowerCase()}[name=${el.getAttribute('name')}] ${name}=${id}`)))""")
    assert not dangling, f"{label or page.url}: ARIA references to missing elements: {dangling}"
    return [v for v in violations if v not in blocking]


@functools.cache
def _axe_source() -> str:
    """axe-core's script, read once per test process rather than for every page."""
    return AXE_SCRIPT.read_text(encoding="utf-8")


def _describe(violation: dict[str, Any]) -> str:
    targets = [
        ", ".join(" ".join(part) if isinstance(part, list) else part for part in node["target"])
        for node in violation["nodes"][:8]
    ]
    more = len(violation["nodes"]) - len(targets)
    return (
        f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})\n"
        + "".join(f"      at {target}\n" for target in targets)
        + (f"      … and {more} more\n" if more > 0 else "")
    )


def reflow_check(page: Any, *, must_see: tuple[str, ...] = (), label: str = "") -> None:
    """At 640 CSS px (1280 px at 200 % zoom) the page scrolls only vertically and `must_see` stay on screen.

    Browser zoom shrinks the CSS viewport exactly like this, so a narrower viewport is a faithful
    stand-in for zooming in. Each selector in `must_see` must match an element that is visible and
    fits within the viewport's width.
    """
    original = page.viewport_size
    page.set_viewport_size(ZOOMED_VIEWPORT)
    try:
        widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
        where = label or page.url
        assert widths["scroll"] <= widths["inner"] + 1, (
            f"{where} scrolls horizontally at 200 % zoom: content is {widths['scroll']} px wide in a "
            f"{widths['inner']} px viewport; widest elements: {_widest_elements(page)}"
        )
        for selector in must_see:
            element = page.locator(selector).first
            assert element.is_visible(), f"{where}: {selector} is hidden at 200 % zoom"
            box = element.bounding_box()
            assert box is not None, f"{where}: {selector} has no box at 200 % zoom"
            fits = box["x"] >= 0 and box["x"] + box["width"] <= widths["inner"] + 1
            assert fits, f"{where}: {selector} does not fit in the width at 200 % zoom ({box})"
    finally:
        page.set_viewport_size(original)


def _widest_elements(page: Any) -> list[str]:
    return list(
        page.evaluate("""() => {
        const limit = window.innerWidth + 1;
        return [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > limit)
            .slice(-5)
            .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                 (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
                 ' (' + Math.round(el.getBoundingClientRect().right) + ' px)');
    }""")
    )


def focus_description(page: Any) -> dict[str, Any]:
    """The focused element: tag, id, text, and whether its focus indicator shows."""
    return dict(
        page.evaluate("""() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return {
            tag: el.tagName.toLowerCase(), id: el.id, className: String(el.className || ''), type: el.type || '',
            focusVisible: el.matches(':focus-visible'),
            text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60),
            outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
            outlineColor: style.outlineColor, boxShadow: style.boxShadow,
        };
    }""")
    )


def focus_is_visible(focus: dict[str, Any], *, background: str = "rgb(255, 255, 255)") -> bool:
    """An outline at least 2 px wide, or a box shadow, and one of them with 3:1 contrast to the page (WCAG 1.4.11)."""
    outline = focus["outlineStyle"] != "none" and focus["outlineWidth"] >= 2
    shadow = focus["boxShadow"] not in ("", "none")
    if not (outline or shadow):
        return False
    colours = ([focus["outlineColor"]] if outline else []) + (_colours(focus["boxShadow"]) if shadow else [])
    return any(contrast_ratio(colour, background) >= 3 for colour in colours)


def _colours(css: str) -> list[str]:
    return re.findall(r"rgba?\([^)]*\)", css)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS `rgb()`/`rgba()` colours as getComputedStyle writes them."""

    def luminance(css: str) -> float:
        red, green, blue = (int(float(part)) / 255 for part in re.findall(r"[\d.]+", css)[:3])
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def keyboard_check(page: Any, *, label: str = "", max_stops: int = 300) -> list[dict[str, Any]]:
    """Tab through the whole page from the top: the skip link comes first, every stop shows its focus,
    and Tab leaves the page at the end (no trap). Returns the stops."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    where = label or page.url
    stops: list[dict[str, Any]] = []
    for _ in range(max_stops):
        page.keyboard.press("Tab")
        focus = focus_description(page)
        if focus["tag"] == "body":
            break
        if not stops:
            assert "skip-link" in focus["className"], f"{where}: the first Tab stop is {focus}, not the skip link"
        if focus["type"] in NATIVE_PICKER_TYPES and not focus["focusVisible"]:
            # Tab has reached the date picker's own button, inside the control's closed shadow tree:
            # the browser draws its focus ring there, and the page's CSS cannot reach or read it.
            continue
        assert focus_is_visible(focus), f"{where}: no visible focus indicator on {focus}"
        stops.append(focus)
    else:
        pytest.fail(f"{where}: Tab did not leave the page after {max_stops} stops (a keyboard trap?)", pytrace=False)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    return stops


def screenshot(page: Any, name: str, *, element: Any = None) -> None:
    """Save `<name>.png` for the staff guide when CIVICDESK_SCREENSHOTS names a folder.

    The viewport (or one element) rather than the whole page keeps each image small.
    """
    if not SCREENSHOT_DIR:
        return
    folder = Path(SCREENSHOT_DIR)
    if not folder.is_absolute():
        folder = ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    target = element if element is not None else page
    target.screenshot(path=str(folder / f"{name}.png"), animations="disabled", caret="hide")

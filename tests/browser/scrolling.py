"""Scrolling as the page's own script and the browser do it, for the browser tests."""


def bring_into_view(locator):
    """Scroll `locator` to the middle of the window with the DOM's scrollIntoView.

    The lesson's sections are laid out only near the viewport (content-visibility: auto), with a
    placeholder height until then. Playwright's scroll_into_view_if_needed goes through the
    DevTools protocol with the target's freshly computed box, and can land where the
    placeholders put it instead; Element.scrollIntoView lays out the sections on the way, as
    focus, links and a student's scrolling do.
    """
    locator.evaluate("(el) => el.scrollIntoView({ block: 'center' })")

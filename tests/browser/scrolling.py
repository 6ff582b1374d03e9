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


def tab(page, timeout_ms=15000):
    """Press Tab as a student does: when it lands on a widget still loading (a held tab stop,
    static/js/focus.js), wait until its controls take the focus before the next key, as a student
    sees the widget fill in; a fast loop of presses would otherwise be held there for seconds on
    a busy machine. (Polled with evaluate: the page's CSP forbids wait_for_function's eval.)"""
    page.keyboard.press("Tab")
    for _ in range(timeout_ms // 50):
        held = page.evaluate(HELD)
        if not held:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"a widget held the Tab key for over {timeout_ms} ms")


HELD = """() => {
  const el = document.activeElement;
  return !!el && el.classList.contains('is-tab-stop') && !el.querySelector('.widget-error');
}"""

"""Checks of what teachers and students type: emails, names, nicknames and join codes."""

import re
import unicodedata

from webapp.teach.store import CODE_ALPHABET, CODE_LENGTH

MAX_EMAIL = 254
# The shape of an address (one @, a dot in the domain, no spaces); deliverability is not ours.
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
CODE_SHAPE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
# The joiners stay (Persian, Indic scripts and emoji sequences need them, and they move nothing);
# every other format character (bidi overrides, zero-width spaces, BOMs, tags) is dropped.
KEPT_FORMAT = {"\u200c", "\u200d"}
# Letters and symbols that draw nothing (Hangul fillers, the blank Braille pattern).
BLANK_GLYPHS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
NOTHING_VISIBLE = "The {what} needs at least one visible letter, digit or sign."


class InvalidText(ValueError):
    """A value that is not acceptable, with the sentence to show."""


def normalise_email(value) -> str:
    """The email stripped and lower-cased; InvalidText when it does not look like one."""
    if not isinstance(value, str):
        raise InvalidText("Enter an email address.")
    email = value.strip().lower()
    if len(email) > MAX_EMAIL or not EMAIL_SHAPE.fullmatch(email) or _has_control(email):
        raise InvalidText("That does not look like an email address (name@example.org).")
    return email


def clean_text(value, what: str, longest: int, required: bool = True) -> str | None:
    """A name as typed, trimmed (1 to `longest` characters), or None when optional and empty."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidText(f"The {what} must be text.")
    text = "".join(ch for ch in value if ch in KEPT_FORMAT or unicodedata.category(ch) != "Cf")
    text = " ".join(text.split())  # trimmed, inner runs of spaces and newlines made one space
    if not text:
        if value.strip():  # something typed, but nothing of it shows
            raise InvalidText(NOTHING_VISIBLE.format(what=what))
        if required:
            raise InvalidText(f"Give a {what}.")
        return None
    if len(text) > longest:
        raise InvalidText(f"The {what} can be at most {longest} characters.")
    if _has_control(text):  # PostgreSQL refuses NUL, and no name needs the others
        raise InvalidText(f"The {what} contains characters that cannot be stored.")
    if not any(_visible(ch) for ch in text):
        raise InvalidText(NOTHING_VISIBLE.format(what=what))
    return text


def normalise_code(value) -> str | None:
    """A join code as typed (any case, spaces or dashes) in its stored form, or None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    code = re.sub(r"[\s-]", "", value).upper()
    return code if CODE_SHAPE.fullmatch(code) else None


def _visible(ch: str) -> bool:
    # A letter, number, punctuation or symbol that draws something (marks need a base).
    return unicodedata.category(ch)[0] in "LNPS" and ch not in BLANK_GLYPHS


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)

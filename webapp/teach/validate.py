"""Checks of what teachers and students type: emails, names, nicknames and join codes."""

import re
import unicodedata

from webapp.teach.store import CODE_ALPHABET, CODE_LENGTH

MAX_EMAIL = 254
# The shape of an address (one @, a dot in the domain, no spaces); deliverability is not ours.
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
CODE_SHAPE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")


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
    text = " ".join(value.split())  # trimmed, inner runs of spaces and newlines made one space
    if not text:
        if required:
            raise InvalidText(f"Give a {what}.")
        return None
    if len(text) > longest:
        raise InvalidText(f"The {what} can be at most {longest} characters.")
    if _has_control(text):  # PostgreSQL refuses NUL, and no name needs the others
        raise InvalidText(f"The {what} contains characters that cannot be stored.")
    return text


def normalise_code(value) -> str | None:
    """A join code as typed (any case, spaces or dashes) in its stored form, or None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    code = re.sub(r"[\s-]", "", value).upper()
    return code if CODE_SHAPE.fullmatch(code) else None


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)

"""Mastery of a skill: its level, the run of right answers toward the next one, spaced reviews.

Pure and clock-free: every function takes `now` (a timezone-aware datetime), so tests move time.
The rules are data, in one place (`RULES` and `REVIEW_LADDER`); `advance` only reads them.

- Any answer lifts `new` to `attempted`; a right answer lifts `new` or `attempted` to `familiar`
  (both mean "never right yet": they share a rank, so this is a one-rank step).
- `familiar` becomes `proficient` after STREAK right answers in a row on different exercises.
- At the top levels (`proficient`, `mastered`) a review falls due 1, then 7, then 30 days after
  each success; a right answer to a due review lifts `proficient` to `mastered` and climbs the
  ladder. A right answer before the review is due counts for nothing but the record.
- A wrong answer lowers the level by one (never below `attempted`), resets the run and steps the
  ladder back, so reviews come sooner.
- A repeat (the learner already answered this very exercise right) never promotes.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

LEVELS = ("new", "attempted", "familiar", "proficient", "mastered")
# How far up a level is: new and attempted share a rank (neither has had a right answer).
RANK = {"new": 0, "attempted": 0, "familiar": 1, "proficient": 2, "mastered": 3}
STREAK = 3  # right answers in a row, on different exercises, from familiar to proficient
REVIEW_LADDER = (timedelta(days=1), timedelta(days=7), timedelta(days=30))
TOP = ("proficient", "mastered")  # the levels that are reviewed on the ladder


@dataclass(frozen=True)
class Rule:
    """What answers do at one level: `right` is the level a right answer may lift it to, once
    `streak` right answers in a row are reached (or, with `review`, once a review is due);
    `wrong` is the level a wrong answer lowers it to."""

    level: str
    right: str
    wrong: str
    streak: int = 1
    review: bool = False


RULES = {
    rule.level: rule
    for rule in (
        Rule("new", right="familiar", wrong="attempted"),
        Rule("attempted", right="familiar", wrong="attempted"),
        Rule("familiar", right="proficient", wrong="attempted", streak=STREAK),
        Rule("proficient", right="mastered", wrong="familiar", review=True),
        Rule("mastered", right="mastered", wrong="proficient", review=True),
    )
}


@dataclass(frozen=True)
class Mastery:
    """A learner's state on one skill: the columns of table skill_levels (webapp/schema.py)."""

    level: str = "new"
    streak: int = 0  # right answers in a row (on different exercises) toward the next level
    review_step: int = 0  # index into REVIEW_LADDER of the interval of the next review
    due: datetime | None = None  # when the next review falls due (UTC, aware), or None
    last_right_at: datetime | None = None


def is_due(state: Mastery, now: datetime) -> bool:
    """True when the skill has a review and its time has come."""
    return state.due is not None and now >= state.due


def advance(state: Mastery, correct: bool, now: datetime, repeat: bool = False) -> Mastery:
    """The state after one answer at `now`; `repeat`: this very exercise was answered right
    before, so a right answer cannot promote. ValueError for an unknown level or naive time."""
    if state.level not in RULES:
        raise ValueError(f"unknown level {state.level!r}; the levels are {', '.join(LEVELS)}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    rule = RULES[state.level]
    if not correct:
        return _miss(state, rule, now)
    if repeat:  # a right answer seen before: it shows the learner tried, nothing more
        return replace(state, level="attempted") if state.level == "new" else state
    right = replace(state, streak=state.streak + 1, last_right_at=now)
    if rule.review:
        if not is_due(state, now):
            return right  # practice between reviews: no promotion, the review stays where it was
        step = min(state.review_step + 1, len(REVIEW_LADDER) - 1)
        return replace(
            right, level=rule.right, streak=0, review_step=step, due=now + REVIEW_LADDER[step]
        )
    if right.streak < rule.streak:
        return right
    if rule.right in TOP:  # reaching the reviewed levels: the first review is scheduled
        step = min(state.review_step, len(REVIEW_LADDER) - 1)
        return replace(right, level=rule.right, streak=0, due=now + REVIEW_LADDER[step])
    return replace(right, level=rule.right)


def _miss(state, rule, now):
    """A wrong answer: one level down, the run reset, the review ladder one rung back."""
    step = min(state.review_step, len(REVIEW_LADDER) - 1)
    step = max(step - 1, 0) if state.level in TOP else step
    due = now + REVIEW_LADDER[step] if rule.wrong in TOP else None
    return replace(state, level=rule.wrong, streak=0, review_step=step, due=due)

"""Mastery rules: levels move one rank at a time, misses lower them, reviews follow the ladder."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessonengine.assessment.mastery import (
    LEVELS,
    RANK,
    REVIEW_LADDER,
    RULES,
    STREAK,
    TOP,
    Mastery,
    advance,
    is_due,
)

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# One answer: right or wrong, a repeat of an exercise answered right before or not, and how far
# the clock moves before it (from seconds to a month). Mostly right and new, so that sequences
# climb to the top levels and their reviews, where most rules are.
mostly = st.integers(0, 4).map(bool)
answers = st.lists(
    st.tuples(
        mostly,
        st.integers(0, 4).map(lambda n: n == 0),
        st.one_of(
            st.just(0.0),
            st.floats(0, 3),
            st.floats(0, 24 * 60),
            st.sampled_from([24.0, 168.0, 720.0]),
        ),
    ),
    max_size=60,
)


def test_rules_cover_every_level_one_rank_apart():
    assert tuple(RULES) == LEVELS
    for rule in RULES.values():
        assert RANK[rule.right] - RANK[rule.level] <= 1, rule
        assert RANK[rule.wrong] <= RANK[rule.level], rule


def test_the_path_to_mastery_and_back():
    state = advance(Mastery(), False, START)
    assert state == Mastery(level="attempted")
    state = advance(state, True, START)
    assert (state.level, state.streak, state.due) == ("familiar", 1, None)
    state = advance(state, True, START + timedelta(minutes=1))
    assert state.level == "familiar"
    now = START + timedelta(minutes=2)
    state = advance(state, True, now)
    assert (state.level, state.due) == ("proficient", now + REVIEW_LADDER[0])
    # Right again before the review is due: no promotion, the review stays where it was.
    early = advance(state, True, now + timedelta(hours=23))
    assert (early.level, early.due) == ("proficient", state.due)
    assert not is_due(early, now + timedelta(hours=23)) and is_due(early, now + DAY)
    review = now + DAY
    state = advance(early, True, review)
    assert (state.level, state.review_step, state.due) == ("mastered", 1, review + 7 * DAY)
    later = review + 7 * DAY
    state = advance(state, True, later)
    assert (state.level, state.review_step, state.due) == ("mastered", 2, later + 30 * DAY)
    again = later + 30 * DAY
    state = advance(state, True, again)
    assert (state.review_step, state.due) == (2, again + 30 * DAY)  # the ladder's top rung
    # A miss: one level down and a sooner review.
    miss = again + 3 * DAY
    state = advance(state, False, miss)
    assert (state.level, state.streak, state.review_step) == ("proficient", 0, 1)
    assert state.due == miss + 7 * DAY
    state = advance(state, False, miss)
    assert (state.level, state.due, state.review_step) == ("familiar", None, 0)
    state = advance(state, False, miss)
    assert state.level == "attempted"
    assert advance(state, False, miss).level == "attempted"


def test_a_repeat_never_promotes():
    state = Mastery(level="familiar", streak=2)
    assert advance(state, True, START, repeat=True) == state
    due = Mastery(level="proficient", due=START - DAY, last_right_at=START - 2 * DAY)
    assert advance(due, True, START, repeat=True) == due
    assert advance(Mastery(), True, START, repeat=True).level == "attempted"


def test_bad_state_or_clock():
    with pytest.raises(ValueError):
        advance(Mastery(level="expert"), True, START)
    with pytest.raises(ValueError):
        advance(Mastery(), True, datetime(2026, 1, 1))


@settings(max_examples=300, deadline=None)
@given(answers)
def test_any_sequence_of_answers_and_clock_moves_follows_the_rules(sequence):
    state, now, run, success = Mastery(), START, 0, None
    for correct, repeat, hours in sequence:
        now += timedelta(hours=hours)
        after = advance(state, correct, now, repeat=repeat)
        before_rank, after_rank = RANK[state.level], RANK[after.level]
        assert after.level in LEVELS
        assert after_rank - before_rank <= 1, (state, after)
        # Never more than one step along LEVELS either, but for a first right answer, which
        # goes from new to familiar (new and attempted share a rank: never right yet).
        step = LEVELS.index(after.level) - LEVELS.index(state.level)
        assert step <= 1 or (state.level, after.level) == ("new", "familiar")
        if not correct:
            run = 0
            assert after.streak == 0
            if state.level in ("new", "attempted"):
                assert after.level == "attempted"
            else:
                assert after_rank == before_rank - 1, (state, after)
            if state.level in TOP:
                assert after.review_step == max(state.review_step - 1, 0)
            if after.level in TOP:  # a sooner review than the one before
                assert after.due == now + REVIEW_LADDER[after.review_step]
                assert REVIEW_LADDER[after.review_step] <= REVIEW_LADDER[state.review_step]
        elif repeat:
            assert after_rank <= before_rank
            assert after == state or (state.level, after.level) == ("new", "attempted")
        else:
            run += 1
            assert after.last_right_at == now
            assert after.level != "new" and after.level != "attempted"
            if (state.level, after.level) == ("familiar", "proficient"):
                assert run >= STREAK
                assert after.due == now + REVIEW_LADDER[after.review_step]
            if state.level in TOP:
                if is_due(state, now):
                    step = min(state.review_step + 1, len(REVIEW_LADDER) - 1)
                    assert (after.level, after.review_step) == ("mastered", step)
                    assert after.due == now + REVIEW_LADDER[step]
                else:  # practice between reviews changes neither the level nor the review
                    assert (after.level, after.due) == (state.level, state.due)
            if after.level == "mastered" and state.level == "proficient":
                assert now - success >= DAY  # a review at least a day after the last success
            if after.due != state.due:
                success = now
        # Reviews exist exactly at the top levels, and are never in the past when just set.
        assert (after.due is not None) == (after.level in TOP), after
        if after.due is not None and after.due != state.due:
            assert after.due - now in REVIEW_LADDER
        assert 0 <= after.review_step < len(REVIEW_LADDER)
        state = after

"""Your-turn attempts: every graded step of the backward pass a learner sends, and their record
at each step. The Store (webapp.store) mixes these methods in."""

from dataclasses import dataclass, field

from sqlalchemy import bindparam, case, func, select

from webapp.db import insert_ignore, utc_now, write_grouped
from webapp.schema import graph_attempts, learners


@dataclass(frozen=True)
class GraphStep:
    """A step of a graph, as stored: the graph's key, the node, the quantity and the parent."""

    graph: str
    node: str
    quantity: str
    parent: str | None


@dataclass(frozen=True)
class StepCounts:
    """A learner's record at one step: attempts (Show me included), wrong answers, and whether
    they found it or were shown it (whichever came first); `progress` is their progress on the
    whole graph (as graph_progress gives it) when it was read with the counts."""

    attempts: int
    wrong: int
    found: bool
    shown: bool
    progress: dict | None = field(default=None, compare=False)


NO_COUNTS = StepCounts(0, 0, False, False)

# The statements of every answer, built once (building one costs more than running it): per
# step of a learner's graph, the attempts, the wrong ones, and the ids of the first right answer
# and of the first Show me (whichever came first decides found or shown).
_c = graph_attempts.c
_INSERT = graph_attempts.insert()
_RECORDS = (
    select(
        _c.node,
        _c.quantity,
        _c.parent,
        func.count(),
        func.sum(case((_c.correct.is_(False) & _c.revealed.is_(False), 1), else_=0)),
        func.min(case((_c.note == "correct", _c.id))),
        func.min(case((_c.revealed.is_(True), _c.id))),
    )
    .where(_c.learner == bindparam("learner"), _c.graph == bindparam("graph"))
    .group_by(_c.node, _c.quantity, _c.parent)
)


class GraphAttempts:
    """The Store's methods for graph_attempts (it provides `self.engine`)."""

    def record_graph_attempt(
        self,
        learner: str,
        step: "GraphStep",
        answer: str,
        correct: bool,
        note: str,
        revealed: bool = False,
    ) -> "StepCounts":
        """Store one graded step (or a Show me) and return the learner's counts at that step,
        this one included, with their progress on the graph; committed on return. The commit
        is shared with the other answers of the moment (webapp.db.write_grouped) and, unlike
        a quiz answer's, not flushed to disk on its own: a power cut may lose the last few."""
        now = utc_now()
        row = {
            "learner": learner,
            "graph": step.graph,
            "node": step.node,
            "quantity": step.quantity,
            "parent": step.parent or "",
            "answer": answer,
            "correct": bool(correct),
            "note": note,
            "revealed": bool(revealed),
            "created_at": now,
        }

        def insert(conn):
            # No row lock on the learner: an attempt is appended, never checked and replaced.
            insert_ignore(conn, learners, {"id": learner, "created_at": now})
            conn.execute(_INSERT, row)

        write_grouped(self.engine, insert)
        # Read after the commit, outside the writer's turn: the counts include this attempt.
        return self.step_counts(learner, step, with_progress=True)

    def step_counts(
        self, learner: str, step: "GraphStep", with_progress: bool = False
    ) -> "StepCounts":
        """How many times the learner tried this step, how many were wrong, and whether it was
        found or shown; with_progress: their progress on the whole graph too (one query)."""
        records = self._records(learner, step.graph)
        counts, _first = records.get((step.node, step.quantity, step.parent or ""), (NO_COUNTS, 0))
        if not with_progress:
            return counts
        return StepCounts(
            counts.attempts, counts.wrong, counts.found, counts.shown, _progress(records)
        )

    def graph_progress(self, learner: str, graph: str) -> dict[str, list[dict]]:
        """The steps of a graph the learner found (a right answer) and was shown (Show me
        first), each {"node", "quantity", "parent"}, and every step they attempted with its
        count of attempts ({"node", "quantity", "parent", "attempts"})."""
        return _progress(self._records(learner, graph))

    def _records(self, learner: str, graph: str) -> dict[tuple, tuple["StepCounts", int]]:
        records = {}
        with self.engine.connect() as conn:
            rows = conn.execute(_RECORDS, {"learner": learner, "graph": graph})
            for node, quantity, parent, attempts, wrong, found_at, shown_at in rows:
                found = found_at is not None and (shown_at is None or found_at < shown_at)
                shown = shown_at is not None and not found
                counts = StepCounts(int(attempts), int(wrong or 0), found, shown)
                records[(node, quantity, parent)] = (counts, found_at if found else shown_at)
        return records

    def wrong_grad_answers(self, learner: str, graph: str, nodes: list[str]) -> set[tuple]:
        """(node, answer) of the learner's wrong answers for these nodes' grads on a graph: the
        only earlier values error carried forward may start from."""
        c = graph_attempts.c
        query = select(c.node, c.answer).where(
            c.learner == learner,
            c.graph == graph,
            c.quantity == "grad",
            c.node.in_(nodes),
            c.correct.is_(False),
            c.revealed.is_(False),
        )
        with self.engine.connect() as conn:
            return {(row.node, row.answer) for row in conn.execute(query)}

    def graph_attempts(self, learner: str | None = None) -> list[dict]:
        """Stored Your-turn attempts, oldest first, optionally one learner's (for tests)."""
        query = select(graph_attempts).order_by(graph_attempts.c.id)
        if learner is not None:
            query = query.where(graph_attempts.c.learner == learner)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]


def _progress(records: dict[tuple, tuple["StepCounts", int]]) -> dict[str, list[dict]]:
    """found, shown (each in the order it happened) and attempted, from `_records`."""

    def listed(keys):
        return [{"node": n, "quantity": q, "parent": p or None} for n, q, p in keys]

    def happened(kind):
        steps = [(first, key) for key, (counts, first) in records.items() if getattr(counts, kind)]
        return listed(key for _, key in sorted(steps))

    attempted = [
        {"node": n, "quantity": q, "parent": p or None, "attempts": counts.attempts}
        for (n, q, p), (counts, _first) in sorted(records.items())
    ]
    return {"found": happened("found"), "shown": happened("shown"), "attempted": attempted}

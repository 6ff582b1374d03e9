"""Your-turn attempts: every graded step of the backward pass a learner sends, and their record
at each step. The Store (webapp.store) mixes these methods in."""

from dataclasses import dataclass

from sqlalchemy import Connection, case, func, select

from webapp.db import lock_learner, utc_now, writing
from webapp.schema import graph_attempts


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
    they found it or were shown it."""

    attempts: int
    wrong: int
    found: bool
    shown: bool


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
        this one included; committed on return. Practice steps, unlike quiz answers, are not
        flushed to disk one by one (see webapp.db.writing): a power cut may lose the last few."""
        now = utc_now()
        with writing(self.engine, durable=False) as conn:
            lock_learner(conn, learner, now)
            conn.execute(
                graph_attempts.insert().values(
                    learner=learner,
                    graph=step.graph,
                    node=step.node,
                    quantity=step.quantity,
                    parent=step.parent or "",
                    answer=answer,
                    correct=bool(correct),
                    note=note,
                    revealed=bool(revealed),
                    created_at=now,
                )
            )
            return self._step_counts(conn, learner, step)

    def step_counts(self, learner: str, step: "GraphStep") -> "StepCounts":
        """How many times the learner tried this step, how many were wrong, and whether it was
        found or shown."""
        with self.engine.connect() as conn:
            return self._step_counts(conn, learner, step)

    def graph_progress(self, learner: str, graph: str) -> dict[str, list[dict]]:
        """The steps of a graph the learner found (a right answer) and was shown (Show me
        first), each {"node", "quantity", "parent"}."""
        c = graph_attempts.c
        query = (
            select(c.node, c.quantity, c.parent, c.note, c.revealed)
            .where(c.learner == learner, c.graph == graph)
            .order_by(c.id)
        )
        found, shown = {}, {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                key = (row.node, row.quantity, row.parent)
                if key in found or key in shown:
                    continue
                if row.revealed:
                    shown[key] = True
                elif row.note == "correct":  # right given a wrong earlier value is not found
                    found[key] = True

        def listed(keys):
            return [{"node": n, "quantity": q, "parent": p or None} for n, q, p in keys]

        return {"found": listed(found), "shown": listed(shown)}

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

    @staticmethod
    def _step_counts(conn: Connection, learner: str, step: "GraphStep") -> "StepCounts":
        c = graph_attempts.c
        where = (
            c.learner == learner,
            c.graph == step.graph,
            c.node == step.node,
            c.quantity == step.quantity,
            c.parent == (step.parent or ""),
        )
        row = conn.execute(
            select(
                func.count(),
                func.sum(case((c.correct.is_(False) & c.revealed.is_(False), 1), else_=0)),
                func.max(case((c.note == "correct", 1), else_=0)),
                func.max(case((c.revealed.is_(True), 1), else_=0)),
            ).where(*where)
        ).one()
        attempts_, wrong, found, shown = row
        return StepCounts(int(attempts_ or 0), int(wrong or 0), bool(found), bool(shown))

"""POST /api/graph/answer and /api/graph/progress: the Your-turn contract."""

import time

import pytest

NEURON = {"preset": "neuron"}


def answer(client, **body):
    return client.post("/api/graph/answer", json={**NEURON, **body})


def test_a_right_answer_is_graded_stored_and_shows_the_value(client, app):
    response = answer(client, node="w", quantity="grad", answer="(a - y)*x")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["correct"] is True and body["note"] == "correct"
    assert body["read_as"] == r"\left(a - y\right)\,x"
    assert body["attempts"] == 1
    assert body["expected"] == pytest.approx(-0.4977, abs=1e-4)
    assert {"node": "w", "quantity": "grad", "parent": None} in body["progress"]["found"]
    assert response.headers["Cache-Control"] == "no-store"
    stored = app.extensions["store"].graph_attempts()
    assert (
        len(stored) == 1 and stored[0]["answer"] == "(a - y)*x" and stored[0]["note"] == "correct"
    )
    assert stored[0]["graph"] == "neuron" and stored[0]["correct"] is True


def test_expected_never_appears_before_a_right_answer_a_reveal_or_three_wrong(client):
    for attempt in (1, 2):
        body = answer(client, node="z", quantity="grad", answer="0.5").get_json()
        assert body["correct"] is False and body["attempts"] == attempt
        assert "expected" not in body and "worked" not in body
    body = answer(client, node="z", quantity="grad", answer="0.5").get_json()
    assert body["attempts"] == 3 and body["expected"] == pytest.approx(-0.3318, abs=1e-4)


def test_a_catalogued_mistake_gets_its_note_and_a_hint_never_the_value(client):
    body = answer(client, node="z", quantity="grad", answer="(a-y)*a*(1-a)").get_json()
    assert body["note"] == "extra-sigmoid-derivative" and "cancels" in body["feedback"]
    body = answer(client, node="a", quantity="local_grad", parent="z", answer="a").get_json()
    assert body["note"] == "sigmoid-output"
    body = answer(client, node="a", quantity="local_grad", parent="z", answer="7").get_json()
    assert body["note"] == "unrecognised" and body["hint"].startswith(r"\frac{\partial a}")
    assert "0.2217" not in body["feedback"] and "0.2217" not in body["hint"]


def test_show_me_needs_an_attempt_then_marks_the_step_shown(client):
    response = answer(client, node="b", quantity="grad", reveal=True)
    assert response.status_code == 409 and response.get_json()["error"]
    answer(client, node="b", quantity="grad", answer="1")
    body = answer(client, node="b", quantity="grad", reveal=True).get_json()
    assert body["note"] == "shown" and body["expected"] == pytest.approx(-0.3318, abs=1e-4)
    assert "worked" in body
    assert {"node": "b", "quantity": "grad", "parent": None} in body["progress"]["shown"]
    progress = client.post("/api/graph/progress", json=NEURON).get_json()
    assert progress["shown"] == [{"node": "b", "quantity": "grad", "parent": None}]
    assert progress["found"] == []


def test_progress_counts_the_attempts_at_each_step_so_show_me_works_after_a_reload(client):
    assert client.post("/api/graph/progress", json=NEURON).get_json()["attempted"] == []
    for _ in range(2):
        answer(client, node="z", quantity="grad", answer="0.5")
    answer(client, node="a", quantity="local_grad", parent="z", answer="a")
    answer(client, node="w", quantity="grad", answer="(a - y)*x")
    answer(client, node="w", quantity="grad", reveal=True)  # after found: stays found
    # A new page load asks only for the progress: it names every step tried and how often.
    progress = client.post("/api/graph/progress", json=NEURON).get_json()
    assert progress["attempted"] == [
        {"node": "a", "quantity": "local_grad", "parent": "z", "attempts": 1},
        {"node": "w", "quantity": "grad", "parent": None, "attempts": 2},
        {"node": "z", "quantity": "grad", "parent": None, "attempts": 2},
    ]
    assert progress["found"] == [{"node": "w", "quantity": "grad", "parent": None}]
    assert progress["shown"] == []
    # So Show me is allowed at z (tried twice) and refused where nothing was tried.
    assert answer(client, node="z", quantity="grad", reveal=True).status_code == 200
    assert answer(client, node="b", quantity="grad", reveal=True).status_code == 409
    body = client.post("/api/graph/progress", json=NEURON).get_json()
    assert body["shown"] == [{"node": "z", "quantity": "grad", "parent": None}]
    # Found after shown is still shown (not found): the first of the two counts.
    answer(client, node="z", quantity="grad", answer="a - y")
    body = client.post("/api/graph/progress", json=NEURON).get_json()
    assert {"node": "z", "quantity": "grad", "parent": None} in body["shown"]
    assert {"node": "z", "quantity": "grad", "parent": None} not in body["found"]
    assert {"node": "z", "quantity": "grad", "parent": None, "attempts": 4} in body["attempted"]


def test_a_weight_matrix_gradient_is_answered_as_an_outer_product(client):
    two = {"preset": "two-layer", "node": "W2", "quantity": "grad"}
    body = client.post("/api/graph/answer", json={**two, "answer": "outer(a2 - y, a1)"}).get_json()
    assert body["correct"] is True and body["read_as"] == r"\left(a_{2} - y\right)\,a_{1}^{\top}"
    body = client.post("/api/graph/answer", json={**two, "answer": "outer(a1, a2 - y)"}).get_json()
    assert body["note"] == "no-transpose"
    # The paper's g aᵀ with vectors of one axis cannot be formed: a 400 that names outer.
    response = client.post("/api/graph/answer", json={**two, "answer": "(a2 - y) @ transpose(a1)"})
    assert response.status_code == 400 and "outer(u, v)" in response.get_json()["message"]


def test_progress_is_per_graph_and_values(client):
    answer(client, node="w", quantity="grad", answer="(a - y)*x")
    program = {
        "program": "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)",
        "values": {"w": 0.9, "x": 1.5, "b": -0.5, "y": 1.0},
    }
    assert client.post("/api/graph/progress", json=program).get_json()["found"] == []
    assert len(client.post("/api/graph/progress", json=NEURON).get_json()["found"]) == 1


def test_error_carried_forward_starts_only_from_the_learners_own_stored_wrong_value(client):
    step = {"node": "_mul1", "quantity": "signal", "parent": "w", "answer": "-0.75"}
    # A made-up earlier value does not make a step right.
    body = answer(client, **step, given={"_mul1": "-0.5"}).get_json()
    assert body["correct"] is False and body["note"] != "carried-forward"
    # The learner's own stored wrong value does: right given it, but neither found nor shown.
    assert (
        answer(client, node="_mul1", quantity="grad", answer="-0.5").get_json()["correct"] is False
    )
    body = answer(client, **step, given={"_mul1": "-0.5"}).get_json()
    assert body["correct"] is True and body["note"] == "carried-forward"
    assert "expected" not in body
    assert {"node": "_mul1", "quantity": "signal", "parent": "w"} not in body["progress"]["found"]


def _right_value(client, node, quantity, parent):
    view = client.post("/api/graph/node", json={**NEURON, "node": node}).get_json()
    if quantity == "grad":
        return view["grad"]
    entries = view["local_grads" if quantity == "local_grad" else "signals"]
    return next(e["value"] for e in entries if e["parent"] == parent)


def test_feedback_never_gives_the_value_before_it_may_be_shown(app):
    wrong = [
        ("z", "grad", None, "(a-y)*a*(1-a)"),
        ("w", "grad", None, "x"),
        ("_mul1", "signal", "w", "x"),
        ("_mul1", "signal", "w", "-0.3318"),
        ("a", "local_grad", "z", "a"),
        ("w", "grad", None, "0.4977"),
        ("w", "grad", None, "[1, 2]"),
        ("L", "local_grad", "a", "1"),
    ]
    for node, quantity, parent, text in wrong:
        client = app.test_client()  # a learner of their own: a first wrong attempt each
        body = answer(client, node=node, quantity=quantity, parent=parent, answer=text).get_json()
        assert body["attempts"] < 3 and "expected" not in body
        value = abs(_right_value(client, node, quantity, parent))
        for shown in {f"{value:.4g}", f"{value:.3g}", f"{value:.2f}"}:
            assert shown not in body["feedback"] + body.get("hint", ""), (text, shown, body)


def test_a_preset_sent_with_its_own_values_is_the_same_graph(client, app):
    values = {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0}
    answer(client, node="w", quantity="grad", answer="1")
    answer(client, node="w", quantity="grad", answer="2", values=values)
    program = {"program": "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)", "values": values}
    body = {**program, "node": "w", "quantity": "grad", "answer": "3"}
    assert client.post("/api/graph/answer", json=body).status_code == 200
    assert {row["graph"] for row in app.extensions["store"].graph_attempts()} == {"neuron"}
    assert answer(client, node="w", quantity="grad", reveal=True).get_json()["note"] == "shown"


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"node": "nope", "quantity": "grad", "answer": "1"}, 404, "no node"),
        ({"node": "w", "quantity": "grad", "answer": "1", "preset": "nope"}, 404, "preset"),
        ({"node": "_mul1", "quantity": "signal", "answer": "1"}, 400, "parent"),
        (
            {"node": "_mul1", "quantity": "signal", "parent": "b", "answer": "1"},
            400,
            "not an input",
        ),
        ({"node": "w", "quantity": "hessian", "answer": "1"}, 400, "quantity"),
        ({"node": "w", "quantity": "grad"}, 400, "answer"),
        ({"node": "w", "quantity": "grad", "answer": 3}, 400, "answer"),
        ({"node": "w", "quantity": "grad", "answer": "1", "extra": 1}, 400, "unknown"),
        ({"node": "w", "quantity": "grad", "answer": "1", "given": []}, 400, "given"),
        ({"node": "w", "quantity": "grad", "answer": "1", "reveal": "yes"}, 400, "reveal"),
    ],
)
def test_bad_requests(client, body, status, fragment):
    response = answer(client, **body)
    payload = response.get_json()
    assert response.status_code == status, payload
    assert set(payload) >= {"error", "message"} and fragment in payload["message"]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "9**9**9**9",
        "(" * 5000 + "1" + ")" * 5000,
        "x" * 60_000,
        "qq + a",
        "1" + "0" * 400,
        "[-1" + "0" * 400 + "]",
    ],
    ids=["import", "tower", "nested", "long", "unknown-name", "huge-int", "huge-int-list"],
)
def test_hostile_answers_are_400_with_a_column_within_100_ms(client, text):
    started = time.perf_counter()
    response = answer(client, node="w", quantity="grad", answer=text)
    elapsed = time.perf_counter() - started
    body = response.get_json()
    assert response.status_code == 400, body
    assert isinstance(body["column"], int) and body["column"] >= 1
    assert elapsed < 0.1


def test_an_unreadable_answer_changes_nothing(client, app):
    answer(client, node="w", quantity="grad", answer="a +")
    assert app.extensions["store"].graph_attempts() == []

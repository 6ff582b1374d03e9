"""GET /api/plots/<figure>: its shape, the engine behind it, each error, never a 500."""

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIGURES = ["sigmoid", "loss-tangent", "cost"]
PRESET = {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0}


@pytest.mark.parametrize("figure", FIGURES)
def test_each_figure_answers_plotly_json(client, figure):
    response = client.get(f"/api/plots/{figure}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert {"figure", "alt", "caption"} <= set(body)
    assert isinstance(body["figure"]["data"], list) and body["figure"]["data"]
    assert isinstance(body["figure"]["layout"], dict)
    assert all(trace["type"] == "scatter" for trace in body["figure"]["data"])  # basic bundle


@pytest.mark.parametrize("figure", ["sigmoid", "loss-tangent"])
def test_neuron_figures_echo_their_values_and_inputs(client, figure):
    body = client.get(f"/api/plots/{figure}").get_json()
    assert body["values"] == PRESET
    body = client.get(f"/api/plots/{figure}?w=-1.25&y=0").get_json()
    assert body["values"] == {**PRESET, "w": -1.25, "y": 0.0}
    inputs = {spec["name"]: spec for spec in body["inputs"]}
    # The engine's rule: w, x, b any number within its limit, y a cross-entropy label in [0, 1].
    assert inputs["w"]["min"] == -1e6 and inputs["w"]["max"] == 1e6
    assert inputs["w"]["range"] is None
    assert inputs["y"]["min"] == 0 and inputs["y"]["max"] == 1
    assert inputs["y"]["range"] == {"min": 0, "max": 1, "min_open": False, "max_open": False}


@pytest.mark.parametrize(
    "query", ["w=7", "x=-40", "w=1&x=-998&b=1e3", "b=3.5&y=0.25", "w=-1e5&x=1e-5"]
)
@pytest.mark.parametrize("figure", ["sigmoid", "loss-tangent"])
def test_any_value_the_engine_takes_is_drawn(client, figure, query):
    response = client.get(f"/api/plots/{figure}?{query}")
    assert response.status_code == 200, response.get_json()
    values = response.get_json()["values"]
    for pair in query.split("&"):
        name, text = pair.split("=")
        assert values[name] == float(text)


def test_the_label_is_refused_with_the_graphs_note_at_y(client):
    """y = 3: the graph computes it and notes at y why it means nothing; the plots refuse it so."""
    graph = client.post("/api/graph", json={"preset": "neuron", "values": {"y": 3}}).get_json()
    (note,) = next(n for n in graph["nodes"] if n["id"] == "y")["notes"]
    response = client.get("/api/plots/loss-tangent?y=3")
    assert response.status_code == 400
    assert response.get_json()["field"] == "y"
    assert response.get_json()["message"] == note["text"]


def test_values_the_engine_cannot_score_are_refused_in_its_words(client):
    """b = 1000: the sigmoid rounds to 1, bce has no value; the graph's API says the same."""
    graph = client.post("/api/graph", json={"preset": "neuron", "values": {"b": 1000}})
    plot = client.get("/api/plots/sigmoid?b=1000")
    assert graph.status_code == plot.status_code == 400
    assert plot.get_json()["message"] == graph.get_json()["message"]


def test_the_tangent_slope_is_the_graph_apis_gradient(client):
    """The plot and the graph widget ask the same engine: same values, same dL/dw."""
    values = {"w": 2.5, "x": -1.2, "b": 0.3, "y": 1.0}
    query = "&".join(f"{k}={v}" for k, v in values.items())
    plot = client.get(f"/api/plots/loss-tangent?{query}").get_json()
    tangent = next(t for t in plot["figure"]["data"] if t.get("uid") == "tangent")
    (x0, x1), (y0, y1) = tangent["x"], tangent["y"]
    graph = client.post("/api/graph", json={"preset": "neuron", "values": values}).get_json()
    grads = {node["id"]: node["grad"] for node in graph["nodes"]}
    assert (y1 - y0) / (x1 - x0) == pytest.approx(grads["w"], abs=1e-9)


def test_unknown_figure_is_404_json(client):
    response = client.get("/api/plots/histogram")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "Not Found" and "sigmoid" in body["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("w=", "w"),
        ("x=abc", "x"),
        ("b=NaN", "b"),
        ("w=inf", "w"),
        ("w=1000001", "w"),
        ("x=-2e6", "x"),
        ("y=2", "y"),
        ("y=-1", "y"),
        ("w=1e400", "w"),
        ("b=%00", "b"),
    ],
)
@pytest.mark.parametrize("figure", ["sigmoid", "loss-tangent"])
def test_bad_values_are_400_with_the_field(client, figure, query, field):
    response = client.get(f"/api/plots/{figure}?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "Bad Request"
    assert body["field"] == field
    assert field in body["message"]


def test_cost_ignores_the_neurons_values(client):
    plain = client.get("/api/plots/cost").get_json()
    assert client.get("/api/plots/cost?w=abc").get_json() == plain


def test_only_get(client):
    response = client.post("/api/plots/sigmoid", json={})
    assert response.status_code == 405
    assert response.get_json()["error"] == "Method Not Allowed"


def test_answers_are_compressed(client):
    response = client.get("/api/plots/sigmoid", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.get_data()))
    assert body["figure"]["data"]


def test_documented_in_openapi(client):
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/plots/{figure}"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"figure", "w", "x", "b", "y"}
    assert {"200", "400", "404"} <= set(operation["responses"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    figure=st.sampled_from(FIGURES),
    params=st.dictionaries(
        st.sampled_from(["w", "x", "b", "y", "z"]),
        st.one_of(
            st.text(max_size=12),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.floats(min_value=-6, max_value=6).map(str),
        ),
        max_size=4,
    ),
)
def test_never_a_500(client, figure, params):
    response = client.get(f"/api/plots/{figure}", query_string=params)
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:200]
    body = response.get_json()
    if response.status_code == 400:
        # A field when one value is at fault; none when the engine cannot score them together.
        assert "field" not in body or body["field"] in params
        assert body["message"]
    else:
        assert body["alt"]

// The engine's JSON API from the browser: three calls; any failure becomes a sentence to show.
import { apiUrl } from "../config.js";

/** A failure in words; kind "network" (no answer), "input" (4xx) or "server"; line, column, node if named. */
class GraphError extends Error {
  constructor(message, status = 0, data = {}) {
    super(message);
    this.kind = !status ? "network" : status < 500 ? "input" : "server";
    this.line = data.line;
    this.column = data.column;
    this.node = data.node;
  }
}

async function request(path, body) {
  const init = body && {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(apiUrl(path), init).catch(() => {
    throw new GraphError("The server cannot be reached; check the connection and try again.");
  });
  const data = await response.json().catch(() => null); // a proxy's error page is not JSON
  if (response.ok && data) return data;
  throw new GraphError(
    data?.message || `The server answered with an error (${response.status}).`,
    response.status,
    data || {},
  );
}

/** The engine's presets: [{id, title, description, program, values}]. */
const fetchPresets = async () => (await request("presets")).presets;

/** The computed graph for {preset} or {program} with values: nodes in topological order, check. */
const fetchGraph = (body) => request("graph", body);

/** One node: value, grad, local gradients with their rules, signals, incoming, role. */
const fetchNode = (body, node) => request("graph/node", { ...body, node });

export { fetchGraph, fetchNode, fetchPresets, GraphError };

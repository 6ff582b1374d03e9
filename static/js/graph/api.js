// The engine's JSON API from the browser: three calls; failures become sentences to show.
import { apiUrl } from "../config.js";

/** A failure in words, with the engine's line, column and node when it names them. */
class GraphError extends Error {
  constructor(message, { status = 0, line = null, column = null, node = null } = {}) {
    super(message);
    // "network": no answer; "input": 4xx, the program or values are at fault; "server": 5xx.
    this.kind = !status ? "network" : status < 500 ? "input" : "server";
    Object.assign(this, { status, line, column, node });
  }
}

/** One request; a failure of any kind becomes a GraphError. */
async function request(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  let response;
  try {
    response = await fetch(apiUrl(path), init);
  } catch (_error) {
    throw new GraphError("The server cannot be reached; check the connection and try again.");
  }
  const data = await response.json().catch(() => null); // a proxy's error page is not JSON
  if (response.ok && data) return data;
  const fallback = response.ok ? "The server's answer could not be read." : `The server answered with an error (${response.status}).`;
  const { message = fallback, line = null, column = null, node = null } = data || {};
  throw new GraphError(message, { status: response.status || 500, line, column, node });
}

/** The engine's presets: [{id, title, description, program, values}]. */
const fetchPresets = async () => (await request("presets")).presets;

/** The computed graph for {preset} or {program} with values: nodes in topological order, check. */
const fetchGraph = (body) => request("graph", body);

/** One node: value, grad, local gradients with their rules, signals, incoming, role. */
const fetchNode = (body, node) => request("graph/node", { ...body, node });

export { GraphError, fetchPresets, fetchGraph, fetchNode };

// The engine's JSON API, seen from the browser: three calls, and errors turned into sentences.
import { apiUrl } from "../config.js";

/** An error the widget can show as it is: a sentence, plus the engine's line and column if any. */
class GraphError extends Error {
  constructor(message, { status = 0, kind = "server", line = null, column = null, node = null } = {}) {
    super(message);
    this.name = "GraphError";
    this.status = status;
    this.kind = kind; // "network" (no answer), "input" (4xx: the request was wrong), "server" (5xx)
    this.line = line;
    this.column = column;
    this.node = node; // the input or node at fault, when the engine names one
  }
}

function isAbort(error) {
  return error && error.name === "AbortError";
}

/** One request; a network failure or an error answer becomes a GraphError with a sentence. */
async function request(path, { body, signal } = {}) {
  const init = { headers: { Accept: "application/json" }, signal };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiUrl(path), init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new GraphError("The server cannot be reached; check the connection and try again.", {
      kind: "network",
    });
  }
  let data = null;
  try {
    data = await response.json();
  } catch (_error) {
    // An answer that is not JSON (a proxy's error page, say) is described by its status below.
  }
  if (response.ok && data) return data;
  const message =
    (data && data.message) ||
    (response.ok ? "The server's answer could not be read." : `The server answered with an error (${response.status}).`);
  throw new GraphError(message, {
    status: response.status,
    kind: response.status >= 400 && response.status < 500 ? "input" : "server",
    line: data && Number.isInteger(data.line) ? data.line : null,
    column: data && Number.isInteger(data.column) ? data.column : null,
    node: data && typeof data.node === "string" ? data.node : null,
  });
}

/** The engine's presets: [{id, title, description, program, values}]. */
async function fetchPresets({ signal } = {}) {
  const data = await request("presets", { signal });
  return data.presets || [];
}

/** The whole graph for a request body ({preset} or {program}, with values): nodes in topological order. */
function fetchGraph(body, { signal } = {}) {
  return request("graph", { body, signal });
}

/** One node's details: local gradients with their rules, the signals it sends back, its role. */
function fetchNode(body, node, { signal } = {}) {
  return request("graph/node", { body: { ...body, node }, signal });
}

export { GraphError, fetchPresets, fetchGraph, fetchNode, isAbort };

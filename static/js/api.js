// The one way the browser modules call the JSON API: every failure becomes an ApiError whose
// message is the server's own sentence, shown as it is.
import { config } from "./config.js";

/** The URL of an API path such as "graph/node", under the server's API root. */
const apiUrl = (path) => config.api.replace(/\/?$/, "/") + path.replace(/^\//, "");

/**
 * A failed call. `status` is the HTTP status (0: no answer); `kind` is "network", "input" (4xx)
 * or "server"; `line`, `column`, `node` and `field` are copied from the error JSON when named.
 */
class ApiError extends Error {
  constructor(message, status = 0, data = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.kind = !status ? "network" : status < 500 ? "input" : "server";
    this.line = data.line;
    this.column = data.column;
    this.node = data.node;
    this.field = typeof data.field === "string" ? data.field : null;
    this.data = data;
  }
}

/** GET `path` (or POST `body` as JSON) under the API root; the JSON answer, or an ApiError. */
async function request(path, { body, signal } = {}) {
  const init = { headers: { Accept: "application/json" }, credentials: "same-origin", signal };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiUrl(path), init);
  } catch (error) {
    if (error.name === "AbortError") throw error; // the caller cancelled it: not a failure
    throw new ApiError("The server cannot be reached; check the connection and try again.");
  }
  const data = await response.json().catch(() => null); // a proxy's error page is not JSON
  if (response.ok && data) return data;
  throw new ApiError(
    data?.message || `The server answered with an error (${response.status}).`,
    response.status,
    data || {},
  );
}

export { ApiError, request };

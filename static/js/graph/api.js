// The engine's three endpoints, through the shared API module.
import { request } from "../api.js";

/** The engine's presets: [{id, title, description, program, values, parameters}]. */
const fetchPresets = async () => (await request("presets")).presets;

/** The computed graph for {preset} or {program} with values: nodes in topological order, check. */
const fetchGraph = (body) => request("graph", { body });

/** One node: value, grad, local gradients with their rules, signals, incoming, role, notes. */
const fetchNode = (body, node) => request("graph/node", { body: { ...body, node } });

export { fetchGraph, fetchNode, fetchPresets };

// The dashboard's tables: sortable by keyboard (a button in each sortable column's header, the
// column's order in aria-sort), redrawn in place so the pressed button keeps the focus.
import { element as make } from "../dom.js";
import { sortRows } from "./dashboard-model.js";

let uid = 0;

/**
 * A table in `host`: columns [{key, label, numeric, cell(row) -> string or Node, sortable}];
 * onSort(key) is called when a column's button is pressed.
 */
function createTable(host, { caption, columns, onSort }) {
  uid += 1;
  const region = make("div", {
    class: "table-scroll",
    role: "region",
    tabindex: "0",
    "aria-labelledby": `dashboard-table-${uid}`,
  });
  const table = make("table", { class: "dashboard-table" });
  table.append(make("caption", { id: `dashboard-table-${uid}` }, caption));
  const head = make("tr");
  const headers = new Map();
  for (const column of columns) {
    const th = make("th", { scope: "col", class: column.numeric ? "is-numeric" : null });
    if (column.sortable === false) th.textContent = column.label;
    else {
      const button = make("button", {
        type: "button",
        class: "sort-button",
        "data-sort": column.key,
      });
      button.append(
        make("span", {}, column.label),
        make("span", { class: "sort-mark", "aria-hidden": "true" }),
      );
      button.addEventListener("click", (_event) => onSort(column.key));
      th.append(button);
      headers.set(column.key, th);
    }
    head.append(th);
  }
  table.append(make("thead"), make("tbody"));
  table.tHead.append(head);
  region.append(table);
  host.append(region);
  return { table, body: table.tBodies[0], headers, columns };
}

/** Draw `rows` in the order of `sort` ({key, direction} or null). */
function drawTable(view, rows, sort) {
  for (const [key, th] of view.headers) {
    const state = sort && sort.key === key ? sort.direction : "none";
    th.setAttribute("aria-sort", state);
    th.querySelector(".sort-mark").textContent =
      state === "ascending" ? "▲" : state === "descending" ? "▼" : "↕";
  }
  const trs = sortRows(rows, sort).map((row) => {
    const tr = make("tr", { "data-row": row.key ?? "" });
    for (const [i, column] of view.columns.entries()) {
      const cell = make(i === 0 ? "th" : "td", {
        scope: i === 0 ? "row" : null,
        class: column.numeric ? "is-numeric" : null,
        "data-column": column.key,
      });
      const content = column.cell(row);
      if (content instanceof Node) cell.append(content);
      else cell.textContent = content;
      tr.append(cell);
    }
    return tr;
  });
  view.body.replaceChildren(...trs);
}

/** HTML the server rendered from the course's own files (KaTeX output), as a span. */
function trustedHtml(html, className) {
  const span = make("span", { class: className });
  span.innerHTML = html;
  return span;
}

export { createTable, drawTable, trustedHtml };

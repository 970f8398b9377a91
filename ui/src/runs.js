// The runs table of an experiment. Its state lives in the address (#/experiments/<id>?...):
//   filter=<search_runs filter>  order=<column> ASC|DESC  col=metrics.<key> (repeated)  offset=<n>
// Only the page on screen is fetched, with only the columns on screen; sorting, filtering and
// paging happen on the server. Runs whose parent is on the same page are grouped under it.

import { get, MLFLOW, post, UI } from "./api.js";
import { clear, debounce, fmtDuration, fmtNumber, fmtTime, h, note, statusBadge } from "./dom.js";
import { current, setQuery } from "./route.js";

const PAGE = 100;
const POLL_MS = 5000;
const KINDS = { params: "Param", metrics: "Metric", tags: "Tag" };

/** The fixed columns: label, the order_by key that sorts them (none: not sortable), cell. */
const FIXED = [
  { id: "name", label: "Run", order: "attributes.run_name", cell: nameCell },
  { id: "status", label: "Status", order: "attributes.status", cell: (r) => statusBadge(r.status) },
  { id: "start", label: "Started", order: "attributes.start_time", cell: (r) => fmtTime(r.start_time) },
  { id: "duration", label: "Duration", order: null, cell: (r) => fmtDuration((r.end_time ?? (r.status === "RUNNING" ? Date.now() : null)) - r.start_time) },
  { id: "user", label: "User", order: "attributes.user_id", cell: (r) => r.user_id },
  { id: "source", label: "Source", order: "tags.`autolog.source.name`", cell: (r) => h("span", { title: r.source }, r.source.split("/").pop()) },
];

/** `metrics.loss` -> {kind: "metrics", key: "loss"}. */
export function parseColumn(id) {
  const dot = id.indexOf(".");
  return { kind: id.slice(0, dot), key: id.slice(dot + 1) };
}

/** The order_by text of a chosen column: metrics.`val loss`. */
function orderKey({ kind, key }) {
  return `${kind}.\`${key}\``;
}

export async function runsView(app, [experimentId]) {
  const state = readState();
  const title = h("h1", null, `Experiment ${experimentId}`);
  const filterBox = h("input", { type: "text", class: "filter", value: state.filter, spellcheck: "false", "aria-label": "Filter runs",
    placeholder: "metrics.acc > 0.9 AND (params.model = 'rf' OR tags.team = 'vision')" });
  const filterError = h("pre", { class: "filter-error", role: "alert", hidden: true });
  const pickerButton = h("button", { type: "button", class: "columns-button" }, "Columns");
  const compareButton = h("button", { type: "button", class: "compare-button", disabled: true }, "Compare");
  const pager = h("div", { class: "pager" });
  const picker = h("div", { class: "picker", hidden: true });
  const tableBox = h("div", { class: "table-box" });
  const form = h("form", { class: "filter-form", on: { submit: (e) => { e.preventDefault(); state.filter = filterBox.value.trim(); state.offset = 0; load(); } } },
    filterBox, h("button", { type: "submit" }, "Search"),
    h("details", { class: "help" }, h("summary", null, "Syntax"), h("p", null,
      "Compare metrics.<key>, params.<key>, tags.<key> or attributes (status, run_name, user_id, start_time, end_time) ",
      "with = != < <= > >= LIKE ILIKE IN; combine with AND, OR and parentheses. Strings in quotes: params.model = 'rf'.")));
  app.append(
    h("div", { class: "page-head" }, title),
    form, filterError,
    h("div", { class: "toolbar" }, pickerButton, compareButton, pager),
    picker, tableBox,
  );
  get(`${MLFLOW}/experiments/get`, { experiment_id: experimentId }).then((doc) => {
    title.textContent = doc.experiment.name;
    document.title = `${doc.experiment.name} · autolog`;
  }).catch(() => {});

  const selected = new Set();
  const collapsed = new Set();
  let rows = [];
  let timer = null;
  let stopped = false;
  let asked = 0;

  compareButton.addEventListener("click", () => {
    location.hash = `#/compare?runs=${[...selected].map(encodeURIComponent).join(",")}`;
  });
  pickerButton.addEventListener("click", () => {
    picker.hidden = !picker.hidden;
    if (!picker.hidden && !picker.firstChild) fillPicker();
  });

  async function load(quiet = false) {
    const mine = ++asked;
    writeState(state);
    const columns = { params: [], metrics: [], tags: [] };
    for (const c of state.columns) columns[c.kind]?.push(c.key);
    const order = state.order ? [state.order, "attributes.start_time DESC"] : [];
    let doc;
    try {
      doc = await post(`${UI}/runs`, { experiment_ids: [experimentId], filter: state.filter, order_by: order, offset: state.offset, max_results: PAGE, columns });
    } catch (err) {
      if (mine !== asked) return;
      if (err.status === 400) {
        filterError.textContent = err.message;
        filterError.hidden = false;
        filterBox.classList.add("invalid");
        return;
      }
      throw err;
    }
    if (mine !== asked) return;
    filterError.hidden = true;
    filterBox.classList.remove("invalid");
    rows = doc.runs;
    drawPager(doc);
    drawTable();
    clearTimeout(timer);
    if (!stopped && rows.some((r) => r.status === "RUNNING")) timer = setTimeout(() => load(true).catch(console.error), POLL_MS);
    if (!quiet) tableBox.scrollTop = 0;
  }

  function drawPager(doc) {
    clear(pager);
    const first = doc.offset + 1;
    const last = doc.offset + doc.runs.length;
    pager.append(
      h("button", { type: "button", disabled: doc.offset === 0, on: { click: () => { state.offset = Math.max(0, state.offset - PAGE); load(); } } }, "‹ Prev"),
      h("span", { class: "range" }, doc.runs.length ? `Runs ${first.toLocaleString("en")}–${last.toLocaleString("en")}` : "No runs"),
      h("button", { type: "button", disabled: doc.next_offset === null, on: { click: () => { state.offset = doc.next_offset; load(); } } }, "Next ›"),
    );
  }

  function header(label, order, extra) {
    const active = state.order && state.order.replace(/ (ASC|DESC)$/, "") === order;
    const descending = active && state.order.endsWith("DESC");
    const arrow = active ? (descending ? " ▼" : " ▲") : "";
    if (!order) return h("th", { class: extra }, label);
    return h("th", { class: `${extra || ""} sortable${active ? " sorted" : ""}`, "aria-sort": active ? (descending ? "descending" : "ascending") : null },
      h("button", { type: "button", class: "sort", title: `Sort by ${label}`, on: { click: () => {
        state.order = `${order} ${active && !descending ? "DESC" : "ASC"}`;
        state.offset = 0;
        load();
      } } }, label, arrow));
  }

  function drawTable() {
    clear(tableBox);
    if (!rows.length) {
      tableBox.append(note(state.filter ? "No run matches this filter." : "No runs in this experiment yet."));
      return;
    }
    const allBox = h("input", { type: "checkbox", "aria-label": "Select all runs on this page", checked: rows.every((r) => selected.has(r.run_id)) });
    allBox.addEventListener("change", () => {
      for (const r of rows) allBox.checked ? selected.add(r.run_id) : selected.delete(r.run_id);
      drawTable();
      syncCompare();
    });
    const head = h("tr", null, h("th", { class: "check" }, allBox),
      FIXED.map((c) => header(c.label, c.order)),
      state.columns.map((c) => header(c.key, orderKey(c), `col-${c.kind}`)));
    const body = h("tbody");
    const ids = new Set(rows.map((r) => r.run_id));
    const children = new Map();
    for (const r of rows) {
      if (r.parent_run_id && ids.has(r.parent_run_id)) {
        if (!children.has(r.parent_run_id)) children.set(r.parent_run_id, []);
        children.get(r.parent_run_id).push(r);
      }
    }
    const addRow = (r, depth) => {
      const kids = children.get(r.run_id) || [];
      body.append(row(r, depth, kids.length));
      if (!collapsed.has(r.run_id)) for (const kid of kids) addRow(kid, depth + 1);
    };
    for (const r of rows) if (!(r.parent_run_id && ids.has(r.parent_run_id))) addRow(r, 0);
    tableBox.append(h("table", { class: "grid runs" }, h("thead", null, head), body));
  }

  function row(r, depth, kids) {
    const box = h("input", { type: "checkbox", "aria-label": `Select ${r.run_name}`, checked: selected.has(r.run_id) });
    box.addEventListener("change", () => { box.checked ? selected.add(r.run_id) : selected.delete(r.run_id); syncCompare(); });
    const toggle = kids ? h("button", { type: "button", class: "toggle", title: collapsed.has(r.run_id) ? "Show child runs" : "Hide child runs",
      on: { click: () => { collapsed.has(r.run_id) ? collapsed.delete(r.run_id) : collapsed.add(r.run_id); drawTable(); } } },
    `${collapsed.has(r.run_id) ? "▸" : "▾"} ${kids}`) : null;
    return h("tr", { class: depth ? "child" : null, dataset: { runId: r.run_id, depth: String(depth) } },
      h("td", { class: "check" }, box),
      FIXED.map((c) => h("td", { class: `c-${c.id}` }, c.id === "name" ? nameCell(r, depth, toggle) : c.cell(r))),
      state.columns.map((c) => {
        const value = r[c.kind]?.[c.key];
        const text = c.kind === "metrics" ? fmtNumber(value) : value ?? "";
        return h("td", { class: c.kind === "metrics" ? "num" : null, title: c.kind === "metrics" ? null : text }, text);
      }));
  }

  function syncCompare() {
    compareButton.disabled = selected.size < 2;
    compareButton.textContent = selected.size ? `Compare ${selected.size}` : "Compare";
  }

  async function fillPicker() {
    clear(picker).append(note("Loading keys…"));
    const keys = await get(`${UI}/run-keys`, { experiment_ids: [experimentId] });
    const search = h("input", { type: "search", placeholder: "Filter keys", "aria-label": "Filter column keys" });
    const lists = h("div", { class: "picker-lists" });
    const draw = () => {
      clear(lists);
      const want = search.value.trim().toLowerCase();
      for (const kind of Object.keys(KINDS)) {
        const shown = keys[kind].filter((k) => k.toLowerCase().includes(want));
        lists.append(h("fieldset", { class: `picker-${kind}` }, h("legend", null, `${KINDS[kind]}s (${keys[kind].length})`),
          shown.length ? shown.map((key) => {
            const id = `${kind}.${key}`;
            const on = state.columns.some((c) => c.kind === kind && c.key === key);
            const box = h("input", { type: "checkbox", checked: on, dataset: { column: id } });
            box.addEventListener("change", () => {
              if (box.checked) state.columns.push({ kind, key });
              else state.columns = state.columns.filter((c) => !(c.kind === kind && c.key === key));
              load();
            });
            return h("label", { class: "pick" }, box, key);
          }) : h("span", { class: "muted" }, "none")));
      }
    };
    search.addEventListener("input", debounce(draw, 100));
    clear(picker).append(search, lists);
    draw();
  }

  await load();
  return () => { stopped = true; clearTimeout(timer); };
}

function nameCell(r, depth = 0, toggle = null) {
  return h("span", { class: "name", dataset: { depth: String(depth) } }, toggle,
    h("a", { href: `#/runs/${encodeURIComponent(r.run_id)}`, title: r.run_id }, r.run_name || r.run_id));
}

function readState() {
  const { query } = current();
  return {
    filter: query.get("filter") || "",
    order: query.get("order") || "",
    columns: query.getAll("col").filter((c) => /^(params|metrics|tags)\./.test(c)).map(parseColumn),
    offset: Math.max(0, Number(query.get("offset")) || 0),
  };
}

function writeState(state) {
  const q = new URLSearchParams();
  if (state.filter) q.set("filter", state.filter);
  if (state.order) q.set("order", state.order);
  for (const c of state.columns) q.append("col", `${c.kind}.${c.key}`);
  if (state.offset) q.set("offset", String(state.offset));
  setQuery(q);
}

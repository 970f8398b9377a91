// The experiments list: name, run count, last activity; a search box filters by name.

import { get, UI } from "./api.js";
import { clear, debounce, fmtAgo, fmtTime, h, note } from "./dom.js";
import { current, setQuery } from "./route.js";

export async function experimentsView(app, _args, query) {
  const box = h("input", { type: "search", placeholder: "Search experiments by name", value: query.get("q") || "", "aria-label": "Search experiments" });
  const list = h("div", { class: "list" });
  app.append(h("div", { class: "page-head" }, h("h1", null, "Experiments"), box), list);
  document.title = "Experiments · autolog";

  let asked = 0;
  async function load() {
    const q = box.value.trim();
    const mine = ++asked;
    const params = current().query;
    if (q) params.set("q", q); else params.delete("q");
    setQuery(params);
    const doc = await get(`${UI}/experiments`, { q });
    if (mine !== asked) return;
    clear(list);
    if (!doc.experiments.length) {
      list.append(note(q ? `No experiment name contains “${q}”.` : "No experiments yet. Log a run and it appears here."));
      return;
    }
    const now = Date.now();
    list.append(h("table", { class: "grid experiments" },
      h("thead", null, h("tr", null, h("th", null, "Name"), h("th", { class: "num" }, "Runs"), h("th", null, "Last activity"), h("th", null, "Created"), h("th", { class: "num" }, "ID"))),
      h("tbody", null, doc.experiments.map((e) => h("tr", null,
        h("td", null, h("a", { href: `#/experiments/${encodeURIComponent(e.experiment_id)}` }, e.name)),
        h("td", { class: "num" }, e.runs.toLocaleString("en")),
        h("td", { title: fmtTime(e.last_activity) }, fmtAgo(e.last_activity, now)),
        h("td", null, fmtTime(e.creation_time)),
        h("td", { class: "num muted" }, e.experiment_id),
      )))));
  }
  box.addEventListener("input", debounce(load, 200));
  await load();
}

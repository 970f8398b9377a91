// The model registry: the models, and one model's versions, aliases, alias history and tags.

import { get, MLFLOW, OURS, quote } from "./api.js";
import { fmtTime, h, kvTable, note } from "./dom.js";

export async function modelsView(app) {
  document.title = "Models · autolog";
  const doc = await get(`${MLFLOW}/registered-models/search`, { max_results: 1000 });
  const models = doc.registered_models || [];
  app.append(h("div", { class: "page-head" }, h("h1", null, "Registered models")));
  if (!models.length) {
    app.append(note("No registered models yet. autolog.register_model(...) adds one."));
    return;
  }
  app.append(h("table", { class: "grid models" },
    h("thead", null, h("tr", null, ["Name", "Latest version", "Aliases", "Last updated", "Description"].map((t) => h("th", null, t)))),
    h("tbody", null, models.map((m) => h("tr", null,
      h("td", null, h("a", { href: `#/models/${encodeURIComponent(m.name)}` }, m.name)),
      h("td", { class: "num" }, m.latest_versions?.[0]?.version ?? ""),
      h("td", null, (m.aliases || []).map((a) => h("span", { class: "alias" }, `@${a.alias} → v${a.version}`))),
      h("td", null, fmtTime(m.last_updated_timestamp)),
      h("td", { class: "muted" }, m.description || ""))))));
}

export async function modelView(app, [name]) {
  document.title = `${name} · autolog`;
  const [modelDoc, versionsDoc, eventsDoc] = await Promise.all([
    get(`${MLFLOW}/registered-models/get`, { name }),
    get(`${MLFLOW}/model-versions/search`, { filter: `name = ${quote(name)}`, max_results: 10000 }),
    get(`${OURS}/registered-models/events`, { name }).catch(() => ({ events: [] })),
  ]);
  const model = modelDoc.registered_model;
  const versions = (versionsDoc.model_versions || []).sort((a, b) => Number(b.version) - Number(a.version));
  const tags = model.tags || [];
  app.append(
    h("div", { class: "page-head" }, h("h1", null, model.name), h("a", { href: "#/models" }, "All models")),
    kvTable([["Created", fmtTime(model.creation_timestamp)], ["Last updated", fmtTime(model.last_updated_timestamp)], ["Description", model.description || ""]], "kv summary-table"),
    h("section", { class: "section" }, h("h2", null, "Aliases"), (model.aliases || []).length
      ? h("ul", { class: "aliases" }, model.aliases.map((a) => h("li", null, h("span", { class: "alias" }, `@${a.alias}`), ` → version ${a.version}`)))
      : note("No aliases.")),
    h("section", { class: "section" }, h("h2", null, `Versions (${versions.length})`), versions.length ? h("table", { class: "grid versions" },
      h("thead", null, h("tr", null, ["Version", "Aliases", "Status", "Run", "Created", "Tags", "Description"].map((t) => h("th", null, t)))),
      h("tbody", null, versions.map((v) => h("tr", { dataset: { version: v.version } },
        h("td", { class: "num" }, `v${v.version}`),
        h("td", null, (v.aliases || []).map((a) => h("span", { class: "alias" }, `@${a}`))),
        h("td", null, v.status || ""),
        h("td", null, v.run_id ? h("a", { href: `#/runs/${encodeURIComponent(v.run_id)}` }, v.run_id.slice(0, 8)) : ""),
        h("td", null, fmtTime(v.creation_timestamp)),
        h("td", null, (v.tags || []).map((t) => h("span", { class: "tag" }, `${t.key}=${t.value}`))),
        h("td", { class: "muted" }, v.description || ""))))) : note("No versions.")),
    h("section", { class: "section" }, h("h2", null, "Tags"), tags.length ? kvTable(tags.map((t) => [t.key, t.value]), "kv tags") : note("No tags.")),
    h("section", { class: "section" }, h("h2", null, "History"), historyTable(eventsDoc.events || [])),
  );
}

function historyTable(events) {
  if (!events.length) return note("No history.");
  const what = (e) => {
    const kind = String(e.kind || "").toLowerCase();
    if (e.alias && kind === "alias_deleted") return `@${e.alias} removed (was v${e.previous_version ?? "—"})`;
    if (e.alias) return e.previous_version ? `@${e.alias}: v${e.previous_version} → v${e.version ?? "—"}` : `@${e.alias} → v${e.version ?? "—"}`;
    if (e.version) return `${kind.replace(/_/g, " ")} v${e.version}`;
    return `${kind.replace(/_/g, " ")}${e.detail ? ` (${e.detail})` : ""}`;
  };
  return h("table", { class: "grid history" },
    h("thead", null, h("tr", null, ["When", "Change", "Event", "User"].map((t) => h("th", null, t)))),
    h("tbody", null, [...events].reverse().map((e) => h("tr", null,
      h("td", null, fmtTime(e.timestamp)), h("td", null, what(e)), h("td", { class: "muted" }, String(e.kind || "")), h("td", null, e.user_id || "")))));
}

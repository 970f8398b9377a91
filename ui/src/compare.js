// Runs side by side: params and latest metrics with differences marked, one metric's curves of
// every run overlaid, and a scatter of a param (or metric) against a metric across the runs.
// #/compare?runs=<id>,<id>,...&metric=<key>

import { get, MLFLOW, pairs } from "./api.js";
import { chartControls, COLORS, MetricChart } from "./chart.js";
import { clear, fmtDuration, fmtNumber, fmtTime, h, note, statusBadge } from "./dom.js";
import { current, setQuery } from "./route.js";
import { scatter } from "./scatter.js";

export async function compareView(app, _args, query) {
  const ids = (query.get("runs") || "").split(",").map((s) => s.trim()).filter(Boolean);
  if (ids.length < 2) {
    app.append(h("h1", null, "Compare runs"), note("Select two or more runs in a runs table, then Compare."));
    return null;
  }
  const runs = (await Promise.all(ids.map((id) => get(`${MLFLOW}/runs/get`, { run_id: id })))).map((d) => d.run);
  const names = runs.map((r) => r.info.run_name || r.info.run_id);
  const params = runs.map((r) => pairs(r.data.params));
  const metrics = runs.map((r) => pairs(r.data.metrics));
  document.title = `Compare ${runs.length} runs · autolog`;

  const onlyDiff = h("input", { type: "checkbox" });
  const tablesBox = h("div", { class: "compare-tables" });
  const head = () => h("thead", null, h("tr", null, h("th", null, ""), runs.map((r, i) => h("th", null,
    h("span", { class: "swatch", dataset: { color: String(i % COLORS.length) } }),
    h("a", { href: `#/runs/${encodeURIComponent(r.info.run_id)}` }, names[i])))));
  const sideBySide = (title, values, format) => {
    const keys = [...new Set(values.flatMap(Object.keys))].sort();
    const rows = keys.map((k) => {
      const cells = values.map((v) => v[k]);
      const differs = new Set(cells.map((c) => JSON.stringify(c ?? null))).size > 1;
      return { k, cells, differs };
    }).filter((r) => !onlyDiff.checked || r.differs);
    return h("div", null, h("h2", null, title), rows.length ? h("table", { class: "grid compare" }, head(),
      h("tbody", null, rows.map(({ k, cells, differs }) => h("tr", { class: differs ? "diff" : null },
        h("th", null, k), cells.map((c) => h("td", { class: format === fmtNumber ? "num" : null }, c === undefined ? "—" : format(c))))))) : note("Nothing to show."));
  };
  const drawTables = () => {
    clear(tablesBox).append(
      h("table", { class: "grid compare runs-info" }, head(), h("tbody", null,
        h("tr", null, h("th", null, "Status"), runs.map((r) => h("td", null, statusBadge(r.info.status)))),
        h("tr", null, h("th", null, "Started"), runs.map((r) => h("td", null, fmtTime(r.info.start_time)))),
        h("tr", null, h("th", null, "Duration"), runs.map((r) => h("td", null, r.info.end_time ? fmtDuration(r.info.end_time - r.info.start_time) : ""))))),
      sideBySide("Parameters", params, String),
      sideBySide("Metrics", metrics, fmtNumber));
  };
  onlyDiff.addEventListener("change", drawTables);

  // the overlaid chart
  const metricKeys = [...new Set(metrics.flatMap(Object.keys))].sort();
  const common = metricKeys.filter((k) => metrics.every((m) => k in m));
  let metric = query.get("metric") || common[0] || metricKeys[0] || "";
  const settings = { x: "step", log: false, smoothing: 0 };
  const chartBox = h("div", { class: "chart compare-chart" });
  let chart = null;
  const metricSelect = h("select", { "aria-label": "Metric to overlay" }, metricKeys.map((k) => h("option", { value: k, selected: k === metric }, k)));
  const drawChart = () => {
    if (chart) chart.destroy();
    clear(chartBox);
    if (!metric) { chartBox.append(note("These runs have no metrics.")); return; }
    chartBox.dataset.key = metric;
    const series = runs.filter((r, i) => metric in metrics[i]).map((r) => ({ runId: r.info.run_id, key: metric, label: r.info.run_name || r.info.run_id, start: r.info.start_time }));
    chart = new MetricChart(chartBox, { series, ...settings, height: 320 });
    chart.load().catch((err) => chartBox.append(note(err.message, "error")));
  };
  metricSelect.addEventListener("change", () => {
    metric = metricSelect.value;
    const q = current().query;
    q.set("metric", metric);
    setQuery(q);
    drawChart();
  });

  // the scatter plot
  const axisKeys = [...[...new Set(params.flatMap(Object.keys))].sort().map((k) => `params.${k}`), ...metricKeys.map((k) => `metrics.${k}`)];
  const valueOf = (i, id) => (id.startsWith("params.") ? params[i][id.slice(7)] : metrics[i][id.slice(8)]);
  let sx = axisKeys.find((k) => k.startsWith("params.")) || axisKeys[0] || "";
  let sy = metric ? `metrics.${metric}` : "";
  const xSelect = h("select", { "aria-label": "Scatter x" }, axisKeys.map((k) => h("option", { value: k, selected: k === sx }, k)));
  const ySelect = h("select", { "aria-label": "Scatter y" }, metricKeys.map((k) => h("option", { value: `metrics.${k}`, selected: `metrics.${k}` === sy }, k)));
  const scatterBox = h("div", { class: "scatter-box" });
  const drawScatter = () => {
    clear(scatterBox);
    if (!sx || !sy) { scatterBox.append(note("Nothing to plot.")); return; }
    const points = runs.map((r, i) => ({ label: names[i], x: valueOf(i, sx), y: valueOf(i, sy), color: COLORS[i % COLORS.length] }));
    scatterBox.append(scatter(points, sx, sy));
  };
  xSelect.addEventListener("change", () => { sx = xSelect.value; drawScatter(); });
  ySelect.addEventListener("change", () => { sy = ySelect.value; drawScatter(); });

  app.append(
    h("div", { class: "page-head" }, h("h1", null, `Compare ${runs.length} runs`), h("label", { class: "only-diff" }, onlyDiff, " Only differences")),
    h("section", { class: "section" }, h("div", { class: "section-head" }, h("h2", null, "Metric"), h("label", null, "Metric ", metricSelect),
      chartControls(settings, (changes) => { Object.assign(settings, changes); chart?.set(changes).catch(console.error); })), chartBox),
    h("section", { class: "section" }, h("div", { class: "section-head" }, h("h2", null, "Scatter"), h("label", null, "X ", xSelect), h("label", null, "Y ", ySelect)), scatterBox),
    h("section", { class: "section" }, tablesBox));
  drawTables();
  drawChart();
  drawScatter();
  return () => chart?.destroy();
}

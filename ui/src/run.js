// A run: what it is (status, times, user, source, parent and children), a chart per metric,
// system metrics (keys under "system/") apart, params, latest metrics, tags, and artifacts.
// A run in progress is fetched again every few seconds, charts included.

import { get, MLFLOW, pairs, post, quote, UI } from "./api.js";
import { artifactsPanel } from "./artifacts.js";
import { chartControls, MetricChart } from "./chart.js";
import { clear, fmtDuration, fmtNumber, fmtTime, h, kvTable, note, statusBadge } from "./dom.js";

const POLL_MS = 5000;
const SYSTEM = "system/";
const PARENT_TAGS = ["autolog.parentRunId", "mlflow.parentRunId"];
const SOURCE_TAGS = ["autolog.source.name", "mlflow.source.name"];

export async function runView(app, [runId]) {
  let run = (await get(`${MLFLOW}/runs/get`, { run_id: runId })).run;
  const summary = h("div", { class: "summary" });
  const family = h("div", { class: "family" });
  const tables = h("div", { class: "data-tables" });
  const chartsBox = h("div", { class: "charts" });
  const systemBox = h("div", { class: "charts system" });
  const settings = { x: "step", log: false, smoothing: 0 };
  const charts = [];
  const heading = h("h1", null);
  const artifacts = artifactsPanel(runId);
  app.append(
    h("div", { class: "page-head" }, heading),
    summary, family,
    h("section", { class: "section" }, h("div", { class: "section-head" }, h("h2", null, "Metrics"),
      chartControls(settings, (changes) => { Object.assign(settings, changes); for (const c of charts) c.set(changes).catch(console.error); })),
    chartsBox),
    h("section", { class: "section system-section", hidden: true }, h("h2", null, "System metrics"), systemBox),
    h("section", { class: "section" }, tables),
    h("section", { class: "section" }, h("h2", null, "Artifacts"), artifacts),
  );

  const visible = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      visible.unobserve(e.target);
      e.target.chart.load().catch((err) => e.target.append(note(err.message, "error")));
    }
  }, { rootMargin: "200px" });

  function drawInfo() {
    const { info, data } = run;
    const tags = pairs(data.tags);
    heading.textContent = info.run_name || info.run_id;
    document.title = `${info.run_name || info.run_id} · autolog`;
    const end = info.end_time ?? (info.status === "RUNNING" ? Date.now() : null);
    const source = SOURCE_TAGS.map((k) => tags[k]).find(Boolean) || "";
    clear(summary).append(kvTable([
      ["Status", statusBadge(info.status)],
      ["Run ID", h("code", null, info.run_id)],
      ["Experiment", h("a", { href: `#/experiments/${encodeURIComponent(info.experiment_id)}` }, experimentName || info.experiment_id)],
      ["Started", fmtTime(info.start_time)],
      ["Duration", end === null ? "" : fmtDuration(end - info.start_time)],
      ["User", info.user_id || ""],
      ["Source", source],
      ["Artifacts", info.artifact_uri],
    ], "kv summary-table"));
    const metrics = data.metrics || [];
    const params = data.params || [];
    const system = (k) => k.startsWith("autolog.") || k.startsWith("mlflow.");
    const userTags = data.tags.filter((t) => !system(t.key));
    const systemTags = data.tags.filter((t) => system(t.key));
    clear(tables).append(
      h("div", null, h("h2", null, `Parameters (${params.length})`), params.length ? kvTable(params.map((p) => [p.key, p.value]), "kv params") : note("No parameters.")),
      h("div", null, h("h2", null, `Metrics (${metrics.length})`), metrics.length ? kvTable(metrics.filter((m) => !m.key.startsWith(SYSTEM)).map((m) => [m.key, fmtNumber(m.value)]), "kv metrics") : note("No metrics.")),
      h("div", null, h("h2", null, `Tags (${data.tags.length})`), userTags.length ? kvTable(userTags.map((t) => [t.key, t.value]), "kv tags") : note("No tags of your own."),
        systemTags.length ? h("details", null, h("summary", null, `System tags (${systemTags.length})`), kvTable(systemTags.map((t) => [t.key, t.value]), "kv tags")) : null),
    );
  }

  async function drawFamily() {
    const tags = pairs(run.data.tags);
    const parentId = PARENT_TAGS.map((k) => tags[k]).find(Boolean);
    const filter = PARENT_TAGS.map((k) => `tags.\`${k}\` = ${quote(runId)}`).join(" OR ");
    const [parent, kids] = await Promise.all([
      parentId ? get(`${MLFLOW}/runs/get`, { run_id: parentId }).then((d) => d.run).catch(() => null) : null,
      post(`${UI}/runs`, { experiment_ids: [run.info.experiment_id], filter, max_results: 1000, columns: {} }).then((d) => d.runs),
    ]);
    clear(family);
    if (parentId) family.append(h("p", { class: "parent" }, "Parent run: ", h("a", { href: `#/runs/${encodeURIComponent(parentId)}` }, parent?.info.run_name || parentId)));
    if (kids.length) {
      family.append(h("div", { class: "children" }, h("span", null, `Child runs (${kids.length}): `),
        kids.map((k) => h("a", { class: "child-link", href: `#/runs/${encodeURIComponent(k.run_id)}` }, k.run_name || k.run_id))));
    }
  }

  function drawCharts() {
    const keys = (run.data.metrics || []).map((m) => m.key).sort();
    const mine = keys.filter((k) => !k.startsWith(SYSTEM));
    const system = keys.filter((k) => k.startsWith(SYSTEM));
    if (!mine.length) chartsBox.append(note("This run has no metrics."));
    for (const key of mine) chartsBox.append(chartCard(key, keys));
    systemBox.closest("section").hidden = !system.length;
    for (const key of system) systemBox.append(chartCard(key, system, "time"));
  }

  function chartCard(key, keys, x = null) {
    const card = h("div", { class: "chart", dataset: { key } });
    const shown = [key];
    const adder = h("select", { class: "add-metric", "aria-label": `Add a metric to the ${key} chart` },
      h("option", { value: "" }, "+ metric"), keys.filter((k) => k !== key).map((k) => h("option", { value: k }, k)));
    const titleBox = h("span", { class: "chart-title" }, key);
    card.append(h("div", { class: "chart-head" }, titleBox, adder));
    const chart = new MetricChart(card, { series: [serie(key)], ...settings, x: x || settings.x });
    card.chart = chart;
    adder.addEventListener("change", () => {
      if (!adder.value || shown.includes(adder.value)) return;
      shown.push(adder.value);
      titleBox.textContent = shown.join(", ");
      chart.series = shown.map(serie);
      adder.value = "";
      chart.load().catch(console.error);
    });
    charts.push(chart);
    visible.observe(card);
    return card;
  }

  function serie(key) {
    return { runId, key, label: key, start: run.info.start_time };
  }

  let experimentName = null;
  drawInfo();
  drawCharts();
  drawFamily().catch(console.error);
  get(`${MLFLOW}/experiments/get`, { experiment_id: run.info.experiment_id }).then((doc) => {
    experimentName = doc.experiment.name;
    drawInfo();
  }).catch(() => {});

  let timer = null;
  let stopped = false;
  const poll = async () => {
    if (stopped || run.info.status !== "RUNNING") return;
    timer = setTimeout(async () => {
      try {
        const before = (run.data.metrics || []).length;
        run = (await get(`${MLFLOW}/runs/get`, { run_id: runId })).run;
        drawInfo();
        if ((run.data.metrics || []).length !== before) {
          for (const c of charts.splice(0)) c.destroy();
          clear(chartsBox); clear(systemBox);
          drawCharts();
        } else {
          await Promise.all(charts.filter((c) => c.full).map((c) => c.load()));
        }
      } catch (err) {
        console.error(err);
      }
      poll();
    }, POLL_MS);
  };
  poll();

  return () => {
    stopped = true;
    clearTimeout(timer);
    visible.disconnect();
    for (const c of charts) c.destroy();
    artifacts.cleanup();
  };
}

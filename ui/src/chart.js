// Metric charts on uPlot, drawn from server-side buckets (GET /api/autolog/ui/metric-series):
// each bucket of about one pixel sends its lowest and highest value, so a 1,000,000-point
// history costs as much to send and draw as a 1,000-point one, and no spike is lost. Dragging
// across the chart zooms and fetches finer buckets for that range; a double click goes back.

import uPlot from "uplot";
import { get, UI } from "./api.js";
import { fmtDuration, fmtNumber, h, toNumber } from "./dom.js";

export const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
export const X_MODES = { step: "Step", time: "Wall time", relative: "Relative time" };

/** The points to draw for one bucketed series, as [xs, ys]: per bucket its low and high, in
 * the order the curve goes (down, then low last), at its first and last x. */
export function expand(doc, toX) {
  const n = doc.x_first.length;
  const lows = doc.low.map(toNumber);
  const highs = doc.high ? doc.high.map(toNumber) : lows;
  const lasts = doc.x_last || doc.x_first;
  const mid = (i) => (lows[i] + highs[i]) / 2;
  const xs = [];
  const ys = [];
  for (let i = 0; i < n; i++) {
    const x0 = toX(doc.x_first[i]);
    const x1 = toX(lasts[i]);
    if (lows[i] === highs[i]) {
      xs.push(x0); ys.push(lows[i]);
      if (x1 !== x0) { xs.push(x1); ys.push(lows[i]); }
      continue;
    }
    const down = i + 1 < n ? mid(i + 1) < mid(i) : i > 0 && mid(i - 1) > mid(i);
    xs.push(x0, x1 > x0 ? x1 : x0 + 1e-3);
    ys.push(...(down ? [highs[i], lows[i]] : [lows[i], highs[i]]));
  }
  return [xs, ys.map((y) => (Number.isFinite(y) ? y : null))];
}

/** Exponential moving average with the start-up bias removed (TensorBoard's smoothing). */
export function smooth(ys, weight) {
  let last = 0;
  let n = 0;
  return ys.map((y) => {
    if (y === null) return null;
    last = last * weight + (1 - weight) * y;
    n++;
    return last / (1 - weight ** n);
  });
}

/**
 * One chart of one or more series ({runId, key, label, start}) along x ("step", "time" or
 * "relative" to each run's start), optionally log-scaled and smoothed (0 <= smooth < 1).
 */
export class MetricChart {
  constructor(target, { series, x = "step", log = false, smoothing = 0, height = 220, title = null }) {
    this.target = target;
    this.series = series;
    this.options = { x, log, smoothing, height, title };
    this.full = null; // the whole-range data, kept to come back to after a zoom
    this.asked = 0;
    this.plot = null;
    this.box = h("div", { class: "chart-canvas" });
    target.append(this.box);
    this.resize = new ResizeObserver(() => {
      const width = this.width();
      if (this.plot && width && Math.abs(width - this.plot.width) > 2) this.plot.setSize({ width, height: this.options.height });
    });
    this.resize.observe(this.box);
  }

  width() {
    return Math.max(200, Math.floor(this.box.clientWidth || this.target.clientWidth || 600));
  }

  /** Fetch (the whole range, or [lo, hi] in the x unit shown) and draw. */
  async load(range = null) {
    const mine = ++this.asked;
    const axis = this.options.x === "step" ? "step" : "timestamp";
    const buckets = Math.min(4000, this.width());
    const docs = await Promise.all(this.series.map((s) => {
      const bounds = range ? this.serverRange(range, s) : {};
      return get(`${UI}/metric-series`, { run_id: s.runId, key: s.key, x: axis, buckets, ...bounds });
    }));
    if (mine !== this.asked) return;
    const tables = docs.map((doc, i) => expand(doc, this.toX(this.series[i])));
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    this.points = docs.reduce((sum, d) => sum + d.points, 0);
    if (!range) this.full = data;
    this.draw(data, range);
  }

  /** x as shown, from the server's step or millisecond timestamp. */
  toX(s) {
    if (this.options.x === "time") return (ms) => ms / 1000;
    if (this.options.x === "relative") return (ms) => (ms - s.start) / 1000;
    return (step) => step;
  }

  serverRange([lo, hi], s) {
    if (this.options.x === "step") return { lo: Math.floor(lo), hi: Math.ceil(hi) };
    const base = this.options.x === "relative" ? s.start : 0;
    return { lo: Math.floor(lo * 1000 + base), hi: Math.ceil(hi * 1000 + base) };
  }

  /** Change x, log or smoothing and draw again. */
  async set(changes) {
    const refetch = changes.x !== undefined && changes.x !== this.options.x;
    Object.assign(this.options, changes);
    if (!this.plot && !this.asked) return; // not loaded yet: it loads with these options
    if (refetch || !this.full) await this.load();
    else this.draw(this.full, null);
  }

  draw(data, range) {
    const { log, smoothing, x, height } = this.options;
    const columns = [data[0]];
    const series = [{ label: X_MODES[x], value: (_u, v) => (v === null ? "" : formatX(x, v)) }];
    this.series.forEach((s, i) => {
      let ys = data[i + 1];
      if (log) ys = ys.map((y) => (y !== null && y > 0 ? y : null));
      const color = COLORS[i % COLORS.length];
      const value = (_u, v) => (v === null ? "" : fmtNumber(v));
      if (smoothing > 0) {
        columns.push(ys, smooth(ys, smoothing));
        series.push({ label: `${s.label} (raw)`, stroke: `${color}40`, width: 1, spanGaps: true, value },
          { label: s.label, stroke: color, width: 1.5, spanGaps: true, value });
      } else {
        columns.push(ys);
        series.push({ label: s.label, stroke: color, width: 1.25, spanGaps: true, value });
      }
    });
    const opts = {
      width: this.width(),
      height,
      title: this.options.title || undefined,
      series,
      scales: { x: { time: x === "time" }, y: log ? { distr: 3 } : {} },
      axes: [
        { values: x === "relative" ? relativeTicks : undefined, stroke: "#555", grid: { stroke: "#eee" } },
        { values: (_u, ticks) => ticks.map(fmtNumber), size: 60, stroke: "#555", grid: { stroke: "#eee" } },
      ],
      cursor: { drag: { x: true, y: false }, bind: { dblclick: () => null } },
      legend: { live: true },
      hooks: {
        setSelect: [(u) => {
          if (u.select.width < 3) return;
          const lo = u.posToVal(u.select.left, "x");
          const hi = u.posToVal(u.select.left + u.select.width, "x");
          u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
          this.load([lo, hi]).catch(console.error);
        }],
        draw: [() => {
          this.target.dataset.drawn = String(Number(this.target.dataset.drawn || 0) + 1);
          this.target.dataset.points = String(this.points);
        }],
      },
    };
    opts.cursor.drag.setScale = false;
    if (this.plot) this.plot.destroy();
    this.plot = new uPlot(opts, columns, this.box);
    this.plot.over.addEventListener("dblclick", () => { if (this.full) this.draw(this.full, null); });
    this.target.classList.toggle("zoomed", Boolean(range));
  }

  destroy() {
    this.asked++;
    this.resize.disconnect();
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }
}

/** Seconds since the run started: "12.5 s" below two minutes, then "3 min 4 s", "2 h 5 min". */
function relativeTicks(_u, ticks) {
  const long = Math.max(...ticks.map(Math.abs)) >= 120;
  return ticks.map((t) => (long ? fmtDuration(t * 1000) : `${fmtNumber(Number(t.toPrecision(6)))} s`));
}

function formatX(mode, v) {
  if (mode === "time") return new Date(v * 1000).toLocaleString();
  if (mode === "relative") return fmtDuration(v * 1000);
  return fmtNumber(v);
}

/** The controls every chart group shares: x axis, log scale, smoothing. */
export function chartControls(initial, onChange) {
  const xSelect = h("select", { "aria-label": "X axis" }, Object.entries(X_MODES).map(([value, label]) => h("option", { value, selected: value === initial.x }, label)));
  const logBox = h("input", { type: "checkbox", checked: initial.log });
  const smoothRange = h("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(initial.smoothing), "aria-label": "Smoothing" });
  const smoothText = h("span", { class: "smooth-value" }, String(initial.smoothing));
  xSelect.addEventListener("change", () => onChange({ x: xSelect.value }));
  logBox.addEventListener("change", () => onChange({ log: logBox.checked }));
  smoothRange.addEventListener("input", () => {
    smoothText.textContent = smoothRange.value;
    onChange({ smoothing: Number(smoothRange.value) });
  });
  return h("div", { class: "chart-controls" },
    h("label", null, "X axis ", xSelect),
    h("label", null, logBox, " Log scale"),
    h("label", null, "Smoothing ", smoothRange, smoothText));
}

// A small scatter plot in SVG (one point per run), for a param or metric against a metric.
// Numbers on a linear axis; any other values as evenly spaced categories. Labels are text
// nodes, like everything else from the store.

import { fmtNumber } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const W = 640, H = 340, L = 70, R = 20, T = 20, B = 50;

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** About five round numbers between lo and hi (steps of 1, 2 or 5 times a power of ten). */
function niceTicks(lo, hi) {
  const raw = (hi - lo) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** An axis for values: numbers when all are numbers, else categories. */
function axis(values, from, to) {
  const numeric = values.every((v) => v !== null && v !== "" && Number.isFinite(Number(v)));
  if (numeric) {
    const nums = values.map(Number);
    let lo = Math.min(...nums), hi = Math.max(...nums);
    if (lo === hi) { lo -= 1; hi += 1; }
    const pad = (hi - lo) * 0.05;
    lo -= pad; hi += pad;
    const at = (v) => from + ((Number(v) - lo) / (hi - lo)) * (to - from);
    return { at, ticks: niceTicks(lo, hi).map((t) => [at(t), fmtNumber(t)]) };
  }
  const cats = [...new Set(values.map((v) => String(v ?? "")))].sort();
  const at = (v) => from + ((cats.indexOf(String(v ?? "")) + 0.5) / cats.length) * (to - from);
  return { at, ticks: cats.map((c) => [at(c), c]) };
}

/** points: [{label, x, y, color}]; returns an <svg>. */
export function scatter(points, xLabel, yLabel) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "scatter", role: "img" });
  svg.append(el("title", {}, `${yLabel} against ${xLabel}`));
  const kept = points.filter((p) => p.x !== undefined && p.y !== undefined && p.y !== null && Number.isFinite(Number(p.y)));
  if (!kept.length) {
    svg.append(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "No run has both values."));
    return svg;
  }
  const xa = axis(kept.map((p) => p.x), L, W - R);
  const ya = axis(kept.map((p) => p.y), H - B, T);
  svg.append(el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }), el("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  for (const [x, text] of xa.ticks) svg.append(el("text", { x, y: H - B + 16, "text-anchor": "middle", class: "tick" }, text));
  for (const [y, text] of ya.ticks) svg.append(el("text", { x: L - 6, y: y + 4, "text-anchor": "end", class: "tick" }, text));
  svg.append(el("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", class: "label" }, xLabel));
  svg.append(el("text", { x: 14, y: (T + H - B) / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${(T + H - B) / 2})`, class: "label" }, yLabel));
  for (const p of kept) {
    const dot = el("circle", { cx: xa.at(p.x), cy: ya.at(p.y), r: 6, fill: p.color, class: "point" });
    dot.append(el("title", {}, `${p.label}: ${xLabel} ${p.x}, ${yLabel} ${fmtNumber(Number(p.y))}`));
    svg.append(dot);
  }
  return svg;
}

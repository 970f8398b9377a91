// The router: the part of the address after '#' names the view and holds its state, so that a
// view (a filtered, sorted runs table, a comparison) can be shared as a link.
//   #/                         experiments
//   #/experiments/<id>?...     runs of an experiment (filter, order, columns, page in the query)
//   #/runs/<id>                a run
//   #/compare?runs=<id>,<id>   runs side by side
//   #/models, #/models/<name>  the model registry

import { setToken } from "./api.js";
import { clear, h, note } from "./dom.js";
import { current, markShown, shownHash } from "./route.js";
import { experimentsView } from "./experiments.js";
import { runsView } from "./runs.js";
import { runView } from "./run.js";
import { compareView } from "./compare.js";
import { modelsView, modelView } from "./registry.js";

const routes = [
  [/^\/?$/, experimentsView],
  [/^\/experiments\/([^/]+)$/, runsView],
  [/^\/runs\/([^/]+)$/, runView],
  [/^\/compare$/, compareView],
  [/^\/models$/, modelsView],
  [/^\/models\/(.+)$/, modelView],
];

let cleanup = null;

async function render() {
  if (location.hash === shownHash()) return;
  markShown();
  const app = document.getElementById("app");
  if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } cleanup = null; }
  clear(app);
  const { path, query } = current();
  for (const [pattern, view] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    const args = match.slice(1).map(decodeURIComponent);
    try {
      cleanup = (await view(app, args, query)) || null;
    } catch (err) {
      if (err.status === 401) {
        clear(app).append(tokenForm());
        return;
      }
      console.error(err);
      app.append(note(err.message || String(err), "error"));
    }
    return;
  }
  app.append(h("h1", null, "Not found"), note(`No page at ${path}`, "error"));
}

/** A server started with --token-file: ask for the token (a read-only one is enough). */
function tokenForm() {
  const input = h("input", { type: "password", autocomplete: "current-password", "aria-label": "Token", placeholder: "token" });
  const form = h("form", { class: "token-form", on: { submit: (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    markShown(null);
    render();
  } } }, h("h1", null, "This server needs a token"),
  h("p", null, "Paste the server's token (the read-only one is enough to look). It is kept in this tab only."),
  input, h("button", { type: "submit" }, "Open"));
  return form;
}

window.addEventListener("hashchange", render);
render();

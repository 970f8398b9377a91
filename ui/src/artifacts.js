// A run's artifacts: the tree (listed a folder at a time through MLflow's artifacts/list) and a
// preview of the chosen file, fetched through the server's artifact proxy. Text shows as text
// (never as markup), JSON indented, CSV as a table, images as images; an SVG is handed to an
// <img> as a blob, where no script in it can run. A model folder shows its flavors,
// signature, requirements and input example.

import { ApiError, artifactUrl, fetchWithToken, get, MLFLOW, token, UI } from "./api.js";
import { clear, fmtBytes, h, kvTable, note } from "./dom.js";

const TEXT_LIMIT = 256 * 1024;
const CSV_ROWS = 500;
const IMAGE = /\.(png|jpe?g|gif|webp|bmp|ico)$/i;
const MODEL_FILES = ["model.yaml", "MLmodel"];

export function artifactsPanel(runId) {
  const tree = h("ul", { class: "tree", role: "tree" });
  const preview = h("div", { class: "preview" }, note("Choose a file to preview it."));
  const panel = h("div", { class: "artifacts" }, h("div", { class: "tree-box" }, tree), preview);
  const urls = [];
  let rootUri = "";
  let chosen = null;

  async function list(path) {
    const doc = await get(`${MLFLOW}/artifacts/list`, { run_id: runId, path });
    rootUri = doc.root_uri || rootUri;
    return (doc.files || []).sort((a, b) => (b.is_dir - a.is_dir) || a.path.localeCompare(b.path));
  }

  async function fill(ul, path) {
    let files;
    try {
      files = await list(path);
    } catch (err) {
      ul.append(h("li", null, note(err.message, "error")));
      return;
    }
    if (!files.length && !path) ul.append(h("li", { class: "muted" }, "No artifacts."));
    const names = files.map((f) => f.path.split("/").pop());
    const isModel = names.some((n) => MODEL_FILES.includes(n));
    if (isModel && path) ul.parentElement?.classList.add("model-dir");
    for (const file of files) ul.append(entry(file));
  }

  function entry(file) {
    const name = file.path.split("/").pop();
    const li = h("li", { role: "treeitem", dataset: { path: file.path } });
    const label = h("button", { type: "button", class: `entry ${file.is_dir ? "dir" : "file"}`, title: file.path }, file.is_dir ? "▸ " : "", name,
      file.is_dir ? null : h("span", { class: "size" }, fmtBytes(file.file_size)));
    li.append(label);
    if (file.is_dir) {
      const sub = h("ul", { hidden: true });
      li.append(sub);
      let loaded = false;
      label.addEventListener("click", async () => {
        sub.hidden = !sub.hidden;
        label.firstChild.textContent = sub.hidden ? "▸ " : "▾ ";
        if (!loaded) { loaded = true; await fill(sub, file.path); }
        if (li.classList.contains("model-dir")) show(file, label);
      });
    } else {
      label.addEventListener("click", () => show(file, label));
    }
    return li;
  }

  async function show(file, label) {
    if (chosen) chosen.classList.remove("chosen");
    chosen = label;
    label.classList.add("chosen");
    const url = artifactUrl(rootUri, file.path);
    const body = h("div", { class: "preview-body" }, note("Loading…"));
    clear(preview).append(
      h("div", { class: "preview-head" }, h("span", { class: "path" }, file.path),
        file.is_dir ? null : h("span", { class: "muted" }, fmtBytes(file.file_size)),
        file.is_dir ? null : downloadLink(url, file.path.split("/").pop())),
      body);
    try {
      const content = file.is_dir ? await modelView(runId, file.path) : await render(file.path, url);
      clear(body).append(content);
    } catch (err) {
      clear(body).append(note(err.message || String(err), "error"));
    }
  }

  function blobUrl(bytes, type) {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    urls.push(url);
    return url;
  }

  async function render(path, url) {
    const lower = path.toLowerCase();
    if (IMAGE.test(lower)) {
      if (!token()) return h("img", { src: url, alt: path, class: "image" });
      const { bytes } = await fetchHead(url, Infinity); // an <img> cannot send the token
      return h("img", { src: blobUrl(bytes, ""), alt: path, class: "image" });
    }
    const { bytes, cut } = await fetchHead(url, TEXT_LIMIT);
    if (lower.endsWith(".svg")) return h("img", { src: blobUrl(bytes, "image/svg+xml"), alt: path, class: "image svg" });
    if (looksBinary(bytes)) return note("Binary file: no preview. Use the download link.");
    const text = new TextDecoder().decode(bytes);
    const more = cut ? note(`Showing the first ${fmtBytes(TEXT_LIMIT)}; download the file for the rest.`) : null;
    if (/\.(csv|tsv)$/.test(lower)) return h("div", null, csvTable(text, lower.endsWith(".tsv") ? "\t" : ",", cut), more);
    if (lower.endsWith(".json") && !cut) {
      try { return h("pre", { class: "text json" }, JSON.stringify(JSON.parse(text), null, 2)); } catch { /* shown as text */ }
    }
    return h("div", null, h("pre", { class: "text" }, text), more);
  }

  fill(tree, "");
  panel.cleanup = () => urls.forEach((u) => URL.revokeObjectURL(u));
  return panel;
}

/** A download link; with a token, the file is fetched with it and handed over as a blob. */
function downloadLink(url, name) {
  const link = h("a", { href: url, download: name, class: "download" }, "Download");
  link.addEventListener("click", async (e) => {
    if (!token()) return;
    e.preventDefault();
    const response = await fetchWithToken(url);
    const blob = URL.createObjectURL(await response.blob());
    const save = h("a", { href: blob, download: name });
    save.click();
    setTimeout(() => URL.revokeObjectURL(blob), 60_000);
  });
  return link;
}

/** The first `limit` bytes of a file (the rest is not downloaded). */
async function fetchHead(url, limit) {
  const response = await fetchWithToken(url);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).message || message; } catch { /* not JSON */ }
    throw new ApiError(response.status, "ERROR", message);
  }
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  const cut = size >= limit;
  if (cut) reader.cancel();
  const bytes = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - at);
    bytes.set(part, at);
    at += part.length;
  }
  return { bytes, cut };
}

function looksBinary(bytes) {
  const n = Math.min(bytes.length, 4096);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

/** RFC 4180 fields: quotes, doubled quotes, separators and newlines inside quotes. */
export function parseCsv(text, sep = ",", maxRows = Infinity) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === sep) { row.push(field); field = ""; } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if ((field || row.length) && rows.length < maxRows) { row.push(field); rows.push(row); }
  return rows;
}

function csvTable(text, sep, cut) {
  const rows = parseCsv(text, sep, CSV_ROWS + 1);
  if (cut && rows.length <= CSV_ROWS) rows.pop(); // the last line may be cut in half
  if (!rows.length) return note("Empty file.");
  const [head, ...body] = rows;
  const shown = body.slice(0, CSV_ROWS);
  return h("div", { class: "csv" },
    h("table", { class: "grid csv-table" },
      h("thead", null, h("tr", null, head.map((c) => h("th", null, c)))),
      h("tbody", null, shown.map((r) => h("tr", null, r.map((c) => h("td", { class: /^-?[\d.eE+-]+$/.test(c) ? "num" : null }, c)))))),
    body.length > CSV_ROWS || cut ? note(`Showing the first ${shown.length} rows.`) : null);
}

/** A model folder: flavors, signature, requirements, input example (GET /api/autolog/ui/model). */
export async function modelView(runId, path) {
  const doc = await get(`${UI}/model`, { run_id: runId, path });
  const flavors = Object.entries(doc.flavors || {});
  const parts = [
    h("h3", null, "Model"),
    kvTable([["Format", doc.format === "mlflow" ? "MLflow (MLmodel)" : "autolog (model.yaml)"], ["Created", doc.created || ""]]),
    h("h4", null, "Flavors"),
    flavors.length ? h("table", { class: "grid flavors" },
      h("thead", null, h("tr", null, ["Flavor", "Format", "Library", "Version", "Files"].map((t) => h("th", null, t)))),
      h("tbody", null, flavors.map(([name, f]) => h("tr", null,
        h("td", null, name), h("td", null, String(f?.format ?? f?.serialization_format ?? "")),
        h("td", null, String(f?.library ?? f?.loader_module ?? "")),
        h("td", null, String(f?.library_version ?? f?.sklearn_version ?? f?.python_version ?? "")),
        h("td", null, Array.isArray(f?.files) ? f.files.join(", ") : String(f?.pickled_model ?? f?.data ?? "")))))) : note("No flavors listed."),
    h("h4", null, "Signature"),
    signatureView(doc.signature),
    h("h4", null, "Requirements"),
    doc.requirements.length ? h("ul", { class: "requirements" }, doc.requirements.map((r) => h("li", null, h("code", null, r)))) : note("None listed."),
    h("h4", null, "Input example"),
    exampleView(doc.input_example),
  ];
  if (doc.metadata) parts.push(h("h4", null, "Metadata"), h("pre", { class: "text json" }, JSON.stringify(doc.metadata, null, 2)));
  return h("div", { class: "model" }, parts);
}

function signatureView(signature) {
  if (!signature) return note("No signature.");
  const side = (label, items) => {
    if (!Array.isArray(items)) return null;
    return h("div", { class: "sig-side" }, h("h5", null, label), h("table", { class: "grid signature" },
      h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Type"), h("th", null, "Shape"))),
      h("tbody", null, items.map((c) => h("tr", null, h("td", null, c.name ?? ""), h("td", null, String(c.type === "tensor" ? `tensor ${c.dtype ?? c["tensor-spec"]?.dtype ?? ""}` : c.type ?? "")),
        h("td", null, c.shape ? JSON.stringify(c.shape) : ""))))));
  };
  return h("div", { class: "signature-box" }, side("Inputs", signature.inputs), side("Outputs", signature.outputs));
}

function exampleView(example) {
  if (!example) return note("No input example.");
  const data = example.data;
  if (Array.isArray(data) && (Array.isArray(example.columns) || data.every(Array.isArray))) {
    const columns = example.columns || Array.from({ length: Math.max(...data.map((r) => r.length)) }, (_, i) => String(i));
    return h("div", null, h("table", { class: "grid example" },
      h("thead", null, h("tr", null, columns.map((c) => h("th", null, String(c))))),
      h("tbody", null, example.data.map((r) => h("tr", null, (Array.isArray(r) ? r : [r]).map((v) => h("td", null, typeof v === "object" ? JSON.stringify(v) : String(v))))))),
    example.rows > example.data.length ? note(`First ${example.data.length} of ${example.rows} rows.`) : null);
  }
  return h("pre", { class: "text json" }, JSON.stringify(example.data ?? example, null, 2));
}

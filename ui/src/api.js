// The REST API of the server that serves this page: MLflow's paths and our additions.

export const MLFLOW = "/api/2.0/mlflow";
export const UI = "/api/autolog/ui";
export const OURS = "/api/autolog/v1";
export const ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

/** GET path?params -> decoded JSON; an error answer throws ApiError with the server's message. */
export function get(path, params, options) {
  return call("GET", path + query(params), undefined, options);
}

export function post(path, body, options) {
  return call("POST", path, body, options);
}

const TOKEN_KEY = "autolog.token";

/** The bearer token of a server started with --token-file, kept for this browser tab only. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
}

/** Headers every call sends: the token, when the server wants one. */
export function authHeaders() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** fetch() with the token; for files of the artifact proxy. */
export function fetchWithToken(url, init = {}) {
  return fetch(url, { ...init, headers: { ...authHeaders(), ...(init.headers || {}) } });
}

async function call(method, url, body, options = {}) {
  const init = { method, headers: { Accept: "application/json", ...authHeaders() }, signal: options.signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : {}; } catch { doc = null; }
  if (!response.ok) {
    throw new ApiError(response.status, doc?.error_code || "ERROR", doc?.message || `${response.status} ${response.statusText}`);
  }
  return doc;
}

/** The URL of an artifact through the server's proxy, from a run's root_uri and a path. */
export function artifactUrl(rootUri, path) {
  const rel = rootUri.replace(/^mlflow-artifacts:\/*/, "");
  const parts = [...rel.split("/"), ...path.split("/")].filter(Boolean);
  return `${ARTIFACTS}/${parts.map(encodeURIComponent).join("/")}`;
}

/** Run tags as an object; MLflow's API sends [{key, value}]. */
export function pairs(list) {
  const found = {};
  for (const item of list || []) found[item.key] = item.value;
  return found;
}

/** A string literal of the filter language. */
export function quote(text) {
  return `'${String(text).replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

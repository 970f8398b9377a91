// The address of the current view: its path and query after '#'.

let shown = null;

/** The current route: its path and query. */
export function current() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = hash.split("?");
  return { path, query: new URLSearchParams(search) };
}

/** Replace the query of the current view without re-rendering it (a table's state). */
export function setQuery(query) {
  const { path } = current();
  const text = query.toString();
  history.replaceState(null, "", `#${path}${text ? `?${text}` : ""}`);
  shown = location.hash;
}

export function shownHash() {
  return shown;
}

export function markShown(hash = location.hash) {
  shown = hash;
}

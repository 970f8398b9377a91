// Bundles the front-end into src/autolog/server/static (committed, shipped in the package).
// `node build.mjs [OUTDIR]`: the default OUTDIR is the package's static folder; the test
// that checks the committed bundle builds into a temporary folder and compares.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, "..", "src", "autolog", "server", "static"));
mkdirSync(out, { recursive: true });

const common = { bundle: true, minify: true, legalComments: "eof", logLevel: "warning", charset: "utf8" };
await build({ ...common, entryPoints: [join(here, "src", "main.js")], outfile: join(out, "app.js"), format: "esm", target: "es2020" });
await build({ ...common, entryPoints: [join(here, "src", "style.css")], outfile: join(out, "app.css") });
copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));

// Builds the web view's bundle: node build.mjs OUTDIR writes OUTDIR/app.js
// and OUTDIR/app.css. The output depends only on the sources and the pinned
// package versions (package-lock.json), so a test can rebuild it and
// compare it with the committed ../dist.
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
if (!outdir) {
  console.error("usage: node build.mjs OUTDIR");
  process.exit(2);
}
await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: "src/main.js" },
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "eof",
  charset: "utf8",
  outdir: path.resolve(process.cwd(), outdir),
  logLevel: "warning",
});

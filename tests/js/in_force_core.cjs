// "In force on a day" of assets/policy-in-force.js in node, for tests/test_in_force_on.py.
// Reads one JSON request per line on stdin: {"rows": [{number, starts, ends, last, published}], "days": ["YYYY-MM-DD", ...]}
// (rows as the history page writes them) and answers one JSON line: [{inForce, published, during}, ...] per day,
// or {"error": message}.
"use strict";
const path = require("path");
const readline = require("readline");
const core = require(path.join(__dirname, "..", "..", "hooks", "policykit", "mkdocs", "theme", "assets", "policy-in-force.js"));

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  let out;
  try {
    const req = JSON.parse(line);
    out = req.days.map((day) => core.answer(req.rows, day));
  } catch (err) {
    out = { error: String(err && err.stack || err) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});

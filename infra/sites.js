// Resolves PARLEY_SITES for serverless.yml: reads the JSON file named by the `sitesFile`
// parameter (default sites.<stage>.json beside serverless.yml), checks it, and returns it as
// one compact line, because a Lambda environment variable is a string of at most 4 KB in all.
"use strict";

const fs = require("fs");
const path = require("path");

module.exports = async ({ resolveVariable }) => {
  const name = await resolveVariable("param:sitesFile");
  const file = path.resolve(__dirname, "..", name);
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(
      `PARLEY_SITES: cannot read ${file} (${err.code}); write it (see docs/deploy.md) ` +
        `or pass --param="sitesFile=path/to/sites.json"`,
    );
  }
  let sites;
  try {
    sites = JSON.parse(text);
  } catch (err) {
    throw new Error(`PARLEY_SITES: ${file} is not valid JSON: ${err.message}`);
  }
  if (sites === null || typeof sites !== "object" || Array.isArray(sites) || !Object.keys(sites).length) {
    throw new Error(`PARLEY_SITES: ${file} must map site names to their settings`);
  }
  const line = JSON.stringify(sites);
  if (line.length > 3000) {
    throw new Error(`PARLEY_SITES: ${file} is ${line.length} bytes; Lambda allows 4 KB of environment`);
  }
  return line;
};

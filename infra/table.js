// Resolves the table's properties for infra/table.yml: backend/store/table.json (the one
// definition `parley init-table` creates too) plus the on-demand ceiling from the parameters
// `tableMaxReadUnits` and `tableMaxWriteUnits` (request units per second; "" for none), on the
// table and on each index. The ceiling is what turns a flood of reads or writes into throttled
// requests (429/503 answers) instead of an unbounded bill.
"use strict";

const fs = require("fs");
const path = require("path");

function units(name, value) {
  if (value === "" || value === "-1") return -1; // DynamoDB's own "no maximum"
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new Error(`${name} must be a whole number of request units per second, or ""`);
  }
  return number;
}

module.exports = async ({ resolveVariable }) => {
  const file = path.resolve(__dirname, "..", "backend", "store", "table.json");
  const table = JSON.parse(fs.readFileSync(file, "utf8"));
  const ceiling = {
    MaxReadRequestUnits: units("tableMaxReadUnits", await resolveVariable("param:tableMaxReadUnits")),
    MaxWriteRequestUnits: units("tableMaxWriteUnits", await resolveVariable("param:tableMaxWriteUnits")),
  };
  table.OnDemandThroughput = ceiling;
  for (const index of table.GlobalSecondaryIndexes || []) {
    index.OnDemandThroughput = ceiling;
  }
  return table;
};

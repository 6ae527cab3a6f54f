// The spend alarms' metrics for infra/breaker.yml: the last 24 hours' spend of the public
// endpoint, estimated from CloudWatch's own metrics with bench/cost.py's prices (us-east-1 list
// prices; tests/test_infra.py evaluates the expression against that file's PRICES), then
// multiplied into a month's pace, to be compared with `monthlyBudgetUsd`:
//   - Lambda: the API function's and the notification worker's Invocations ($0.20 a million)
//     and Duration (GB-seconds at `memorySize`, arm64), plus 1 ms an invocation for Lambda's
//     rounding up to the next ms (the worker runs on each Stream batch the writes make);
//   - the HTTP API's Count ($1.00 a million requests it passed on);
//   - DynamoDB: the table's and every index's consumed read and write units (on-demand), the
//     indexes named by backend/store/table.json, but the reads of the marks index (gsi2): only
//     the worker's scheduled repair reads it, a few hundred units a day whatever the traffic,
//     and CloudWatch allows 10 metrics in a math alarm (tests/test_aws_rules.py);
//   - transfer out ($0.09 a GB): no CloudWatch metric counts a Function URL's bytes, so every
//     request and every read unit is counted as `breakerBytesPerRequest` bytes (default 64 KiB):
//     more than any answer that reads no table (openapi.json is the largest, ~44 KB plain), and
//     a read unit (up to 8 KB of items, eventually consistent) never becomes more than that on
//     the wire. The estimate can only overstate the bytes: bench/flood.py measures the answers
//     and says how much.
// `alarm` returns the breaker's metrics (the pace is 30 days of the last 24 hours), `warning`
// the mail-only warning's (60 days: it fires at half the budget's pace).
"use strict";

const fs = require("fs");
const path = require("path");

// bench/cost.py PRICES (dollars).
const PRICES = {
  lambdaPerMillionRequests: 0.2,
  lambdaArm64PerGbSecond: 0.0000133334,
  httpApiPerMillionRequests: 1.0,
  dynamodbPerMillionRru: 0.125,
  dynamodbPerMillionWru: 0.625,
  transferOutPerGb: 0.09,
};

function whole(name, value) {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new Error(`${name} must be a whole positive number, not ${JSON.stringify(value)}`);
  }
  return number;
}

function metric(id, namespace, name, dimensions) {
  return {
    Id: id,
    ReturnData: false,
    MetricStat: {
      Stat: "Sum",
      Period: 86400,
      Metric: { Namespace: namespace, MetricName: name, Dimensions: dimensions },
    },
  };
}

const SCHEDULED_READS_ONLY = new Set(["gsi2"]);

async function metrics(resolveVariable, days) {
  const memoryGb = whole("memorySize", await resolveVariable("param:memorySize")) / 1024;
  const bytes = whole("breakerBytesPerRequest", await resolveVariable("param:breakerBytesPerRequest"));
  const file = path.resolve(__dirname, "..", "backend", "store", "table.json");
  const indexes = (JSON.parse(fs.readFileSync(file, "utf8")).GlobalSecondaryIndexes || []).map(
    (index) => index.IndexName,
  );
  const fn = [{ Name: "FunctionName", Value: { Ref: "ApiLambdaFunction" } }];
  const worker = [{ Name: "FunctionName", Value: { Ref: "WorkerLambdaFunction" } }];
  const table = { Name: "TableName", Value: { Ref: "ParleyTable" } };
  const queries = [
    metric("inv", "AWS/Lambda", "Invocations", fn),
    metric("dur", "AWS/Lambda", "Duration", fn),
    metric("winv", "AWS/Lambda", "Invocations", worker),
    metric("wdur", "AWS/Lambda", "Duration", worker),
    metric("api", "AWS/ApiGateway", "Count", [{ Name: "ApiId", Value: { Ref: "HttpApi" } }]),
  ];
  const reads = [];
  const writes = [];
  for (const [suffix, dims] of [["", [table]], ...indexes.map((i) => [i, [table, { Name: "GlobalSecondaryIndexName", Value: i }]])]) {
    const id = suffix.replace(/[^A-Za-z0-9]/g, "");
    if (!SCHEDULED_READS_ONLY.has(suffix)) {
      queries.push(metric(`rru${id}`, "AWS/DynamoDB", "ConsumedReadCapacityUnits", dims));
      reads.push(`FILL(rru${id}, 0)`);
    }
    queries.push(metric(`wru${id}`, "AWS/DynamoDB", "ConsumedWriteCapacityUnits", dims));
    writes.push(`FILL(wru${id}, 0)`);
  }
  const inv = "FILL(inv, 0)";
  const rru = `(${reads.join(" + ")})`;
  const p = PRICES;
  const perMillion = [
    `(${inv} + FILL(winv, 0)) * ${p.lambdaPerMillionRequests}`,
    `FILL(api, 0) * ${p.httpApiPerMillionRequests}`,
    `${rru} * ${p.dynamodbPerMillionRru}`,
    `(${writes.join(" + ")}) * ${p.dynamodbPerMillionWru}`,
  ].join(" + ");
  const ms = `FILL(dur, 0) + ${inv} + FILL(wdur, 0) + FILL(winv, 0)`;
  const duration = `(${ms}) / 1000 * ${memoryGb} * ${p.lambdaArm64PerGbSecond}`;
  const transfer = `(${inv} + ${rru}) * ${bytes} / 1000000000 * ${p.transferOutPerGb}`;
  queries.push({
    Id: "spend",
    ReturnData: false,
    Label: "estimated dollars in the last 24 hours",
    Expression: `(${perMillion}) / 1000000 + ${duration} + ${transfer}`,
  });
  queries.push({
    Id: "total",
    ReturnData: true,
    Label: `the last 24 hours' estimated spend x ${days} days`,
    Expression: `${days} * spend`,
  });
  return queries;
}

module.exports = {
  alarm: ({ resolveVariable }) => metrics(resolveVariable, 30),
  warning: ({ resolveVariable }) => metrics(resolveVariable, 60),
};

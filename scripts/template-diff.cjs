#!/usr/bin/env node
// The plan's template diff: what `cdk diff` would say, as data.
//
// Reads {"stacks": [{"name", "deployed": template|null, "synthesized": template}]} from the
// file named by its one argument and writes {"stacks": [{"name", "resources": [{"logicalId", "type", "impact"}],
// "permissionsBroadened", "securityGroupsBroadened", "otherChanges"}]} on stdout, using the
// CDK CLI's own library (@aws-cdk/cloudformation-diff: the same resource specification
// decides what an update replaces, and what widens IAM or security groups).
"use strict";

const { fullDiff } = require("@aws-cdk/cloudformation-diff");

function summarize(stack) {
  const diff = fullDiff(stack.deployed || {}, stack.synthesized);
  const resources = [];
  diff.resources.forEachDifference((logicalId, change) => {
    resources.push({
      logicalId,
      type: String(change.resourceType || change.newResourceType || change.oldResourceType || ""),
      impact: String(change.changeImpact),
    });
  });
  const other = ["outputs", "parameters", "conditions", "mappings", "metadata"]
    .filter((section) => diff[section] && diff[section].differenceCount > 0);
  return {
    name: stack.name,
    resources,
    permissionsBroadened: Boolean(diff.iamChanges.permissionsBroadened),
    securityGroupsBroadened: Boolean(diff.securityGroupChanges.rulesAdded),
    otherChanges: other,
  };
}

const fs = require("fs");
const request = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
process.stdout.write(JSON.stringify({ stacks: request.stacks.map(summarize) }));

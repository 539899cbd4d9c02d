#!/usr/bin/env node
// Run the project's CDK CLI with one CloudFormation parameter whose value comes from the
// environment, so the secret never appears on any process's command line (`ps`, /proc).
//
//   node scripts/cdk-with-secret-parameter.cjs NAME ENV_VAR CDK_ARGS...
//
// appends `--parameters NAME=<value of ENV_VAR>` to CDK_ARGS inside this process and hands
// them to the CDK CLI's entry point. ENV_VAR is removed from the environment first, so the
// CDK app and other child processes never inherit it.
"use strict";
const path = require("node:path");

const [name, envVar, ...cdkArgs] = process.argv.slice(2);
if (!name || !envVar || cdkArgs.length === 0) {
  process.stderr.write("usage: node scripts/cdk-with-secret-parameter.cjs NAME ENV_VAR CDK_ARGS...\n");
  process.exit(2);
}
const value = process.env[envVar];
if (!value) {
  process.stderr.write(`error: ${envVar} is empty; it must hold the value of parameter ${name}\n`);
  process.exit(2);
}
delete process.env[envVar];

process.setSourceMapsEnabled(true);
const projectRoot = path.resolve(__dirname, "..");
// The package exports only `bin/cdk`, whose entry calls `cli()` with process.argv; load the
// same entry point by path so the arguments can be given directly.
const cdkPackage = path.dirname(require.resolve("aws-cdk/package.json", { paths: [projectRoot] }));
const { cli } = require(path.join(cdkPackage, "lib", "index.js"));
cli([...cdkArgs, "--parameters", `${name}=${value}`]);

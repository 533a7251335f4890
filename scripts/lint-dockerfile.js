#!/usr/bin/env node
/**
 * Lints Dockerfiles with dockerfile-utils (the validator behind the VS Code Docker extension),
 * every rule raised to an error: its CLI exits 0 on warnings such as a second CMD in a stage.
 *   node scripts/lint-dockerfile.js [Dockerfile ...]
 * Exit 0 when clean, 1 on any finding.
 */
import { readFileSync } from 'node:fs';
import { validate, ValidationSeverity } from 'dockerfile-utils';

const ERROR = ValidationSeverity.ERROR;
const strict = {
  deprecatedMaintainer: ERROR,
  directiveCasing: ERROR,
  emptyContinuationLine: ERROR,
  instructionCasing: ERROR,
  instructionCmdMultiple: ERROR,
  instructionEntrypointMultiple: ERROR,
  instructionHealthcheckMultiple: ERROR,
  instructionJSONInSingleQuotes: ERROR,
  instructionWorkdirRelative: ERROR,
};

const files = process.argv.slice(2);
let findings = 0;
for (const file of files.length > 0 ? files : ['Dockerfile']) {
  const diagnostics = validate(readFileSync(file, 'utf8'), strict);
  for (const d of diagnostics) {
    process.stderr.write(`${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}\n`);
  }
  findings += diagnostics.length;
  if (diagnostics.length === 0) process.stdout.write(`✔ ${file}: no findings\n`);
}
process.exitCode = findings === 0 ? 0 : 1;

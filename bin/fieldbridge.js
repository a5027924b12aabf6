#!/usr/bin/env node
// The `fieldbridge` operator CLI (see client/cli.ts). TypeScript is loaded through tsx.
require('tsx/cjs');
process.env.FIELDBRIDGE_CLI_MAIN = '1';
require('../client/cli.ts');

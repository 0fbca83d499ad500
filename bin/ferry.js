#!/usr/bin/env node
// Thin launcher: the CLI is compiled by `npm install` (the `prepare` script) into dist/.
import '../dist/client/main.js';

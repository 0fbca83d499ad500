#!/usr/bin/env node
// Thin launcher: the CLI is compiled by `npm install` (the `prepare` script) into dist/.
// `ferry worker` runs its worker in a child with a bounded heap; deciding that before the CLI loads saves the
// launcher a CLI start-up (dist/worker/launcher.js launchEarly).
if (process.argv[2] === 'worker') await (await import('../dist/worker/launcher.js')).launchEarly();
await import('../dist/client/main.js');

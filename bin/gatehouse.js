#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`, which `npm start` and `npm test` run first).
import('../dist/main.js')

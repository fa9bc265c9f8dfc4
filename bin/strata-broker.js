#!/usr/bin/env node
// The compiled log server; `npm run build` produces it.
import '../dist/broker-image/src/main.js';

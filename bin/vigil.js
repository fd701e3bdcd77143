#!/usr/bin/env node
// `vigil` from a checkout (`npx vigil …`): registers tsx so the TypeScript sources run as they are,
// then runs the CLI's entry. The image runs the compiled entry instead (`node dist/cli/main.js`).
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');

#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so there is no build step besides the addon.
import { register } from 'tsx/esm/api';

register();
// restarts in place with tcmalloc preloaded where it is installed (src/engine/allocator.ts)
const { preloadTcmalloc } = await import('../src/engine/allocator.ts');
preloadTcmalloc();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

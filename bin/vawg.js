#!/usr/bin/env node
// The CLI is written in TypeScript; tsx (a dependency) loads it without a build step.
// tsx 4 refuses `module.register('tsx/esm')` (it takes that for the deprecated --loader); its API registers the same hooks.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/vawg.ts');

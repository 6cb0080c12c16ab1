/**
 * Finds a file or folder the repository ships (`migrations/`, `CHANGELOG.md`) by walking up from
 * the calling module, so it is found from `src/` and from a build alike.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The path of `relative` in the nearest folder at or above `start` that has it; undefined when none does. */
export function findUp(relative: string, start: string): string | undefined {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

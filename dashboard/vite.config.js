// Builds the analysts' dashboard into dist/dashboard, which the service serves at /dashboard/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/dashboard/',
  logLevel: 'warn',
  build: {
    outDir: path.join(here, '..', 'dist', 'dashboard'),
    emptyOutDir: true,
    // One chart library and our own code: no need for a warning about a 200 kB chunk.
    chunkSizeWarningLimit: 400,
  },
});

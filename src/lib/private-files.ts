/**
 * The data folder holds the database, the linkage secret, a first admin key and uploads with SLKs
 * in clear: only the service's own user may read, write or list it. PGlite unpacks its initial
 * database with the archive's modes (files 0666, folders 0755) whatever the umask, so its folder is
 * walked and tightened after it opens and again after it closes.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates the folder (and missing parents) owner-only, and tightens it if it already existed and is
 * ours: a folder someone else owns (a mounted volume) cannot be changed and is left as it is.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const info = await lstat(dir);
  if (info.mode & 0o077 && info.uid === process.getuid?.()) await chmod(dir, PRIVATE_DIR_MODE);
}

/** Takes group and other permissions off every folder and file under `dir` (symbolic links are left alone). */
export async function restrictTree(dir: string): Promise<void> {
  // A file the database removes while the walk runs (a recycled WAL segment) is simply gone.
  const info = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!info) return;
  if (info.isDirectory()) {
    if (info.mode & 0o077) await chmod(dir, PRIVATE_DIR_MODE);
    for (const entry of await readdir(dir)) await restrictTree(path.join(dir, entry));
  } else if (info.isFile() && info.mode & 0o077) {
    await chmod(dir, PRIVATE_FILE_MODE);
  }
}

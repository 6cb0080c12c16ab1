/**
 * Writes a request body to a file as it arrives, hashing it on the way: large uploads never sit in
 * memory, the hash fingerprints the request for Idempotency-Key, and the file outlives the request
 * when a job processes it. The file is the caller's to delete (on every path); a crash leaves it
 * to the next start, which empties the upload directory.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { problem } from './problem.js';

export interface SpooledBody {
  path: string;
  bytes: number;
  sha256: string;
}

export async function spoolToFile(body: Readable, options: { dir: string; limitBytes: number }): Promise<SpooledBody> {
  // Uploads hold linkage keys in clear until they are read: only this user may list or open them.
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  await chmod(options.dir, 0o700);
  const file = path.join(options.dir, `${randomUUID()}.upload`);
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > options.limitBytes) {
        callback(problem(413, 'tooLarge', `the body is larger than ${Math.floor(options.limitBytes / 1024 / 1024)} MiB`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(body, meter, createWriteStream(file, { mode: 0o600 }));
  } catch (error) {
    await rm(file, { force: true });
    if ((error as { statusCode?: number }).statusCode) throw error;
    throw problem(400, 'badRequest', 'the upload was interrupted before the body was complete');
  }
  return { path: file, bytes, sha256: hash.digest('hex') };
}

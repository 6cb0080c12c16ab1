/** Applies pending migrations and exits (`npm run db:migrate`); `npm start` does the same on boot. */
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/connect.js';
import { migrateDatabase } from '../src/db/migrate.js';

const config = await loadConfig(process.env);
const handle = await openDatabase(config);
try {
  await migrateDatabase(handle);
  console.log(`migrations applied (${handle.kind})`);
} finally {
  await handle.close();
}

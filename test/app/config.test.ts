import t from 'tap';
import { parseEnv } from '../../src/config.js';

t.test('configuration is validated once, with defaults', async (t) => {
  const env = parseEnv({});
  t.match(env, { PORT: 3000, HOST: '127.0.0.1', VAWG_DATA_DIR: './data', LOG_LEVEL: 'info', VAWG_SUPPRESS_BELOW: 5 });
  t.equal(parseEnv({ PORT: '8080' }).PORT, 8080);
  t.throws(() => parseEnv({ PORT: 'eighty' }), { name: 'ConfigError' });
  t.throws(() => parseEnv({ LOG_LEVEL: 'loud' }), { name: 'ConfigError' });
  t.throws(() => parseEnv({ DATABASE_URL: 'mysql://x' }), { name: 'ConfigError' });
  t.throws(() => parseEnv({ DATABASE_URL: 'postgres://x/y' }), /VAWG_LINKAGE_SECRET is required/);
  t.throws(() => parseEnv({ DATABASE_URL: 'postgres://x/y', VAWG_LINKAGE_SECRET: 'short' }), { name: 'ConfigError' });
  t.ok(parseEnv({ DATABASE_URL: 'postgres://x/y', VAWG_LINKAGE_SECRET: 'x'.repeat(32) }));
});

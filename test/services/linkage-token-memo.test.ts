/**
 * A return's token deriver (createLinkageTokenDeriver) hashes each distinct component once: its
 * tokens must be those of deriveLinkageTokens byte for byte, over keys with every part missing
 * in turn, dates that swap and dates that cannot, and across the memo's clearing. Pure: no database.
 */
import t from 'tap';
import { createLinkageTokenDeriver, deriveLinkageTokens } from '../../src/services/linkage/tokens.js';
import { generatePopulation } from '../support/synthetic.js';

const SECRET = 'test-linkage-memo-secret-0123456789abcdef';

/** Synthetic people's keys (typos, swaps, missing given names and sex at raised rates), then keys built part by part. */
function keys(): string[] {
  const population = generatePopulation({
    people: 4000,
    recordsPerPersonMean: 1.7,
    errorRates: { givenMissing: 0.2, sexMissing: 0.2, dayMonthSwap: 0.2, familyTypo: 0.1 },
    seed: 11,
  });
  const built: string[] = population.records.map((r) => r.slk581);
  const families = ['999', 'MIT', 'M22', 'ITH', 'SMI'];
  const givens = ['99', 'AR', 'A2', 'MA'];
  // Day = month (no other date), day ≤ 12 (swaps), day > 12 (does not), 29 February.
  const dates = ['01011980', '02031980', '03021980', '13021980', '29022000', '12121912', '31122005'];
  for (const family of families)
    for (const given of givens) for (const date of dates) for (const sex of ['1', '2', '3', '9']) built.push(`${family}${given}${date}${sex}`);
  // Case and whitespace are the tokenizer's to ignore, and malformed keys have no tokens.
  built.push('mitar010219802', ' MITAR020319802 ', 'MITAR310219802', 'not a key', '', 'MITAR0102198X2');
  return built;
}

t.test('memoised tokens are the tokens, byte for byte', async (t) => {
  const all = keys();
  const derive = createLinkageTokenDeriver(SECRET);
  const plain = all.map((k) => deriveLinkageTokens(k, SECRET));
  // Twice over: the second pass is answered from the memo.
  for (const pass of [1, 2]) t.same(all.map(derive), plain, `pass ${pass}: the same tokens (or null) for ${all.length} keys`);
  t.ok(plain.filter((p) => p === null).length >= 4, 'malformed keys are null');
  t.ok(
    plain.some((p) => p?.family === null && p.familyPartial.length === 0),
    'a missing family name (999) has no family tokens',
  );
  t.ok(
    plain.some((p) => p?.given === null && p.givenPartial.length === 0),
    'a missing given name (99) has no given tokens',
  );
  t.ok(
    plain.some((p) => p?.sex === null),
    'sex not stated (9) has no sex token',
  );
  t.ok(plain.some((p) => p && p.birthDateSwapped !== null) && plain.some((p) => p && p.birthDateSwapped === null), 'dates that swap and dates that do not');
});

t.test('a memo past its limit starts again and keeps the same tokens', async (t) => {
  const all = keys();
  // 50 entries: cleared many times over a few thousand keys.
  const derive = createLinkageTokenDeriver(SECRET, 50);
  t.same(
    all.map(derive),
    all.map((k) => deriveLinkageTokens(k, SECRET)),
    'the same tokens',
  );
});

t.test('a deriver is its secret’s', async (t) => {
  const key = 'MITAR020319802';
  const other = createLinkageTokenDeriver('another-secret-0123456789abcdef');
  const mine = createLinkageTokenDeriver(SECRET);
  t.same(other(key), deriveLinkageTokens(key, 'another-secret-0123456789abcdef'));
  t.not(mine(key)!.birthDate, other(key)!.birthDate, 'different secrets, different tokens');
  t.not(mine(key)!.key, other(key)!.key);
});

import t from 'tap';
import { LargeMap } from '../../src/lib/large-map.js';

// One V8 Map holds at most 2^24 entries (a RangeError past that); a full relink interns a whole key per record.
const PAST_ONE_MAP = 2 ** 24 + 1;

t.test('holds more entries than one Map can', async (t) => {
  const large = new LargeMap<number, number>();
  for (let i = 0; i < PAST_ONE_MAP; i++) large.set(i * 7, i);
  t.equal(large.size, PAST_ONE_MAP);
  let wrong = 0;
  for (let i = 0; i < PAST_ONE_MAP; i += 997) if (large.get(i * 7) !== i) wrong++;
  t.equal(wrong, 0, 'every sampled key maps to its value');
  t.equal(large.get(-7), undefined);
});

t.test('counts a key set twice once', async (t) => {
  const map = new LargeMap<string, number>();
  map.set('a', 1).set('', 2).set('a', 3);
  t.equal(map.size, 2);
  t.equal(map.get('a'), 3);
  t.equal(map.get(''), 2);
  t.equal(map.get('b'), undefined);
});

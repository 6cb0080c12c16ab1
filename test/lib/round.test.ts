import t from 'tap';
import { roundHalfUp } from '../../src/lib/round.js';

t.test('roundHalfUp rounds the written decimal, halves up', async (t) => {
  const cases: Array<[number, number, number]> = [
    [17.82, 1, 17.8],
    [17.85, 1, 17.9],
    [10.34, 0, 10],
    [89.5, 0, 90],
    [88.5, 0, 89],
    [0.05, 1, 0.1],
    [1.005, 2, 1.01],
    [1.255, 2, 1.26],
    [2.675, 2, 2.68],
    [8.345, 2, 8.35],
    [0.5, 0, 1],
    [1.5, 0, 2],
    [2.5, 0, 3],
    [17.8197, 1, 17.8],
    [100, 1, 100],
    [0, 1, 0],
    [1e-7, 2, 0],
    [5e-7, 6, 0.000001],
    [1.23e21, 0, 1.23e21],
  ];
  for (const [x, dp, expected] of cases) t.equal(roundHalfUp(x, dp), expected, `${x} at ${dp} dp`);
});

t.test('negative values round half away from zero, never to -0', async (t) => {
  t.equal(roundHalfUp(-2.5, 0), -3);
  t.equal(roundHalfUp(-1.005, 2), -1.01);
  t.ok(Object.is(roundHalfUp(-0.04, 1), 0));
});

t.test('the repeat-referral percentages of the Barnet MARAC', async (t) => {
  const percent = (n: number, d: number, dp: number) => roundHalfUp((n * 100) / d, dp);
  t.same(
    [
      [9, 87],
      [22, 123],
      [19, 122],
      [35, 145],
    ].map(([n, d]) => percent(n!, d!, 0)),
    [10, 18, 16, 24],
  );
  t.equal(percent(85, 477, 1), 17.8);
});

t.test('non-finite values pass through; bad decimal places are refused', async (t) => {
  t.ok(Number.isNaN(roundHalfUp(Number.NaN, 1)));
  t.equal(roundHalfUp(Infinity, 1), Infinity);
  t.throws(() => roundHalfUp(1, -1), RangeError);
  t.throws(() => roundHalfUp(1, 1.5), RangeError);
});

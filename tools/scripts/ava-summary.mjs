// Echo stdin and end with one closing line "ava: N passed, N failed" summed over
// every package's TAP output (ava --tap prints "# pass N" / "# fail N").
import { createInterface } from 'node:readline';
import { stripVTControlCharacters as strip } from 'node:util';

const tap = { pass: 0, fail: 0, skip: 0, seen: false };
const plain = { pass: 0, fail: 0 };
for await (const raw of createInterface({ input: process.stdin })) {
  console.log(raw);
  const line = strip(raw).trim().replace(/^[\w@/.-]+:\s+/, '');
  let m;
  if ((m = /^# (pass|fail|skip) (\d+)$/.exec(line))) {
    tap[m[1]] += Number(m[2]);
    tap.seen = true;
  } else if ((m = /^(\d+) tests? passed$/.exec(line))) plain.pass += Number(m[1]);
  else if ((m = /^(\d+) (?:tests? failed|known failures?|uncaught exceptions?|unhandled rejections?)$/.exec(line))) plain.fail += Number(m[1]);
}
const [passed, failed, skipped] = tap.seen ? [tap.pass, tap.fail, tap.skip] : [plain.pass, plain.fail, 0];
console.log(`ava: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import test from 'ava';
import { assertSuite } from '@bpfkit/corpus';
import run from './suites/elf-verifier-logs.suite.js';
import { linuxHost } from './support/linux-host.js';
import { objectCases, REPO_ROOT } from './support/object-cases.js';
import { normalizeLog, programLogs, type VerifierLogRecord } from './support/verifier-logs.js';

// Whether this machine's kernel can be opened is known before any test is declared (ava takes none after an await).
const probe = await linuxHost(2);
if (typeof probe !== 'string') probe.release();

test('elf-verifier-logs: the simulated verifier logs every program as Linux 6.18 does, at levels 1 and 2', (t) =>
  assertSuite(t, 'elf-verifier-logs', run, { floor: 118, ceiling: 2 }, 20));

test('normalizeLog: map addresses (and the padding after them) and kfunc BTF ids are not compared', (t) => {
  t.is(normalizeLog('4: (18) r1 = 0xffff88810aac5000       ; R1=map_ptr(map=m,ks=4,vs=16)'), normalizeLog('4: (18) r1 = 0x1                      ; R1=map_ptr(map=m,ks=4,vs=16)'));
  t.is(normalizeLog('3: (85) call bpf_obj_new_impl#64655   ; R0=ptr_or_null_item(id=6,ref_obj_id=6)'), normalizeLog('3: (85) call bpf_obj_new_impl#151     ; R0=ptr_or_null_item(id=6,ref_obj_id=6)'));
  t.not(normalizeLog('5: (b7) r0 = 0xffffffff'), normalizeLog('5: (b7) r0 = 0x1'));
});

if (typeof probe === 'string') {
  test.skip(`elf-verifier-logs: the recorded logs are what this machine's kernel answers now: skipped, ${probe}`, () => {});
} else test('elf-verifier-logs: the recorded logs are what this machine\'s kernel answers now (same kernel build)', async (t) => {
  const host = await linuxHost(2);
  if (typeof host === 'string') return t.fail(`linux: the kernel opened when the tests were declared, now: ${host}`);
  try {
    for (const c of objectCases(REPO_ROOT)) {
      if (!existsSync(c.logRecord)) {
        t.fail(`${c.id}: no recorded logs; record them with node tools/record-object-run/record-logs.mjs ${c.id}`);
        continue;
      }
      const record = JSON.parse(readFileSync(c.logRecord, 'utf8')) as VerifierLogRecord;
      if (record.recorded_on.kernel !== release()) {
        t.log(`${c.id}: recorded on ${record.recorded_on.kernel}, this machine runs ${release()}: not compared`);
        continue;
      }
      const live = programLogs(host, c).map((p) => ({ ...p, log: normalizeLog(p.log) }));
      t.deepEqual(live, record.programs.map((p) => ({ ...p, log: normalizeLog(p.log) })), `${c.id}: re-record with node tools/record-object-run/record-logs.mjs ${c.id}`);
    }
  } finally {
    host.release();
  }
});

import test from 'ava';
import { EXAMPLES, run } from './run.js';

const FIREWALL = `${EXAMPLES}xdp_firewall.o`;

test('verify OBJ.o: each program loaded as the object load does, with the verifier log and source lines', async (t) => {
  const r = await run('verify', FIREWALL, '--log-level', '2');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^== prog xdp_firewall \(section xdp\) ==$/m);
  t.regex(r.stdout, /^; __sync_fetch_and_add\(&packets_seen, 1\); @ .*xdp_firewall\.c:\d+$/m);
  t.regex(r.stdout, /^3: \(18\) r4 = 0x\w+ +; R4=map_value/m);
  t.regex(r.stdout, /^verdict: accepted$/m);
});

test('verify OBJ.o --json: one document with a verdict and log per program', async (t) => {
  const r = await run('verify', `${EXAMPLES}core_trace.o`, '--json', '--log-level', '1');
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { file: string; programs: { program: string; accepted: boolean; log: string }[] };
  t.is(doc.file, 'core_trace.o');
  t.deepEqual(doc.programs.map((p) => [p.program, p.accepted]), [['handle_exec', true], ['handle_exec_raw', true]]);
  t.true(doc.programs.every((p) => /processed \d+ insns/.test(p.log)));
});

test('verify OBJ.o --prog: an unknown program is one usage line', async (t) => {
  const r = await run('verify', FIREWALL, '--prog', 'nope');
  t.is(r.code, 2);
  t.regex(r.stderr, /no program 'nope' \(programs: xdp_firewall\)/);
});

// `pnpm release`: version, build, check, publish with provenance, tag.
//   1. `changeset version` consumes the pending changesets (new versions, CHANGELOG.md per
//      package) and the result is committed as "release: version packages";
//   2. every package is built, then tools/scripts/pack-check.mjs packs and installs them;
//   3. `pnpm publish -r --access public --provenance` publishes every public package whose
//      version is not on the registry yet (`workspace:` ranges become exact versions);
//   4. `changeset tag` tags each published version; push with `git push --follow-tags`.
// `pnpm release --dry-run` versions nothing, commits nothing and uploads nothing: it prints the
// release plan, builds, runs the pack check and `pnpm publish -r --dry-run`.
// Extra arguments go to `pnpm publish` (e.g. `--otp 123456`, `--no-git-checks`).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const publishArgs = args.filter((a) => a !== '--dry-run');

const execpath = process.env.npm_execpath;
const pnpm = !execpath ? ['npx', '-y', 'pnpm@12.4.2']
  : /\.[cm]?js$/.test(execpath) ? [process.execPath, execpath] : [execpath];

function step(title, cmd, cmdArgs, { allowFail = false } = {}) {
  console.log(`release: ${title}: ${[cmd, ...cmdArgs].join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0 && !allowFail) {
    console.error(`release: ${title} failed (exit ${r.status ?? r.signal}); nothing after it ran`);
    process.exit(1);
  }
  return r.status === 0;
}
const git = (...a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' });
const pnpmStep = (title, a, opts) => step(title, pnpm[0], [...pnpm.slice(1), ...a], opts);
const pending = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');

if (dryRun) {
  console.log(`release: dry run; ${pending.length} pending changesets would be versioned first`);
  pnpmStep('release plan', ['exec', 'changeset', 'status'], { allowFail: true });
} else {
  const dirty = git('status', '--porcelain').stdout.trim();
  if (dirty) {
    console.error('release: the working tree has changes; commit or remove them first');
    process.exit(1);
  }
  if (pending.length > 0) {
    pnpmStep('version', ['exec', 'changeset', 'version']);
    // The tree was clean, so everything changed now is the version bump.
    if (git('add', '--all', '--', '.changeset', 'packages').status !== 0
      || git('commit', '-q', '-m', 'release: version packages').status !== 0) {
      console.error('release: could not commit the version bump');
      process.exit(1);
    }
    console.log(`release: committed the version bump (${git('rev-parse', '--short', 'HEAD').stdout.trim()})`);
  } else {
    console.log('release: no pending changesets; publishing the versions as they are');
  }
}

pnpmStep('build', ['exec', 'nx', 'run-many', '-t', 'build', '--output-style=static']);
step('pack and install check', process.execPath, ['tools/scripts/pack-check.mjs', '--built']);
if (dryRun) {
  pnpmStep('publish (dry run)', ['publish', '-r', '--access', 'public', '--dry-run', '--no-git-checks', ...publishArgs]);
  console.log('release: dry run done; nothing was versioned, committed, uploaded or tagged');
} else {
  pnpmStep('publish', ['publish', '-r', '--access', 'public', '--provenance', ...publishArgs]);
  pnpmStep('tag', ['exec', 'changeset', 'tag']);
  console.log('release: done; push the commit and tags with `git push --follow-tags`');
}

// Changelog lines for `changeset version` (the "changelog" entry of .changeset/config.json).
// A change reads as with changesets' default ("- <commit>: <summary>"). A package bumped only
// because workspace dependencies moved gets one line naming their new versions, instead of
// one "Updated dependencies [<commit>]" line per changeset of every dependency.

/** @param {{ summary: string, commit?: string }} changeset */
async function getReleaseLine(changeset) {
  const [first, ...rest] = changeset.summary.split('\n').map((l) => l.trimEnd());
  const commit = changeset.commit ? `${changeset.commit.slice(0, 7)}: ` : '';
  return [`- ${commit}${first}`, ...rest.map((l) => (l ? `  ${l}` : l))].join('\n');
}

/** @param {unknown[]} _changesets @param {{ name: string, newVersion: string }[]} updated */
async function getDependencyReleaseLine(_changesets, updated) {
  if (updated.length === 0) return '';
  const names = updated.map((d) => `${d.name}@${d.newVersion}`).sort();
  return `- Updated dependencies: ${names.join(', ')}`;
}

export default { getReleaseLine, getDependencyReleaseLine };

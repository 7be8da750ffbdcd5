/**
 * Extracts which multi-arch helper indexes gitlab-runner publishes at a tag, from its own release script:
 * `scripts/pusher/helper-images.json` lists each helper image (a component) with its per-architecture tag
 * templates, and `scripts/pusher/indexes.go` makes an index of every tag template once its architecture is
 * taken out (`alpine-latest-x86_64-%` → `alpine-latest-%`), except `%` and `%-pwsh`, which gather the
 * Windows images too. This script reads the JSON and applies that rule (stated here, from indexes.go at the
 * same tag) to write, per index tag template, the components it holds. Usage:
 *   bash .ci/pnpm --filter @polyarch/runner-config reference:helper GIT_DIR TAG
 * writes packages/runner-config/reference/gitlab-runner-helper-indexes-<tag>.json.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";

const [gitDir, tag] = process.argv.slice(2);
if (!gitDir || !tag) {
  console.error("usage: extract-helper-indexes.ts GIT_DIR TAG");
  process.exit(2);
}
const git = (...args: string[]) => execFileSync("git", ["--git-dir", gitDir, ...args]).toString();
const commit = git("rev-parse", `${tag}^{commit}`).trim();
const pusher = JSON.parse(git("show", `${commit}:scripts/pusher/helper-images.json`)) as {
  default: Record<string, string[]>;
};
// indexes.go's knownArchs and its cross-OS templates, read from the same commit rather than typed here.
const indexesGo = git("show", `${commit}:scripts/pusher/indexes.go`);
const archList = /knownArchs = \[\]string\{([^}]*)\}/.exec(indexesGo)?.[1];
if (!archList) throw new Error("indexes.go has no knownArchs list");
const knownArchs = [...archList.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
// addRule(template, windowsFlavor): the index of `template` also gathers every component named with the flavor.
const crossOs = [...indexesGo.matchAll(/crossOs\.addRule\("([^"]+)", "([^"]+)"\)/g)].map((m) => ({
  template: m[1] as string,
  windowsFlavor: m[2] as string,
}));
if (crossOs.length === 0) throw new Error("indexes.go has no crossOs.addRule calls");

function stripArch(template: string): string {
  const arch = knownArchs.find((a) => template.includes(`${a}-`));
  return arch === undefined ? template : template.replace(`${arch}-`, "");
}

const indexes: Record<string, string[]> = {};
const add = (template: string, component: string) => {
  indexes[template] = [...(indexes[template] ?? []), component];
};
for (const [component, templates] of Object.entries(pusher.default)) {
  const stripped = templates.map(stripArch);
  // A Windows image joins the cross-OS index its name's flavor names; its own tags make no index of ours.
  const rule = crossOs.find((r) => stripped.includes(r.template) || component.includes(r.windowsFlavor));
  if (rule !== undefined) add(rule.template, component);
  for (const template of stripped) {
    if (crossOs.some((r) => r.template === template) || /servercore|nanoserver/.test(template)) continue;
    add(template, component);
  }
}
for (const components of Object.values(indexes)) components.sort();
const sorted = Object.fromEntries(Object.entries(indexes).sort(([a], [b]) => a.localeCompare(b)));
const out = new URL(`gitlab-runner-helper-indexes-${tag}.json`, import.meta.url);
writeFileSync(
  out,
  `${JSON.stringify({ source: "gitlabhq/gitlab-runner", tag, commit, knownArchs, crossOs, indexes: sorted }, null, 2)}\n`,
);
console.log(`wrote ${out.pathname}`);

// The extractor behind reference/gitlab-runner-<tag>.json, run on a small Go module in a real git repository
// that has every construct gitlab-runner's config structs use: tags with escaped quotes, `toml:"-"`,
// unexported and untagged fields, embedded structs from this and another package (keys promoted, the
// shallower key winning), a named embedded struct, grouped and alias type declarations, inline structs,
// UnmarshalTOML, time.Duration, a type from a module that is not followed, and slice literals of string
// constants (the lists gitlab-runner checks values against).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@polyarch/test-harness";
import { expect, test } from "vitest";
import { extractRunnerStructs } from "../reference/extract-runner-config.ts";

const FILES: Record<string, string> = {
  "go.mod": "module example.com/runner\n\ngo 1.24\n\nrequire k8s.io/api v0.35.1\n",
  "common/config.go": `package common

import (
	"time"

	api "k8s.io/api/core/v1"
	"example.com/runner/helpers/extra"
)

type (
	Alias  = Inner
	Labels map[string]string
)

// StringOrArray decodes itself.
type StringOrArray []string

func (p *StringOrArray) UnmarshalTOML(data interface{}) error {
	type local struct{ Ignored string \`toml:"ignored"\` }
	return nil
}

type Config struct {
	Concurrent int             \`toml:"concurrent" description:"a \\"quoted\\" word"\`
	LogLevel   *string         \`toml:"log_level"\`
	Runners    []*RunnerConfig \`toml:"runners"\`
	Hidden     string          \`toml:"-"\`
	internal   string
	Timeout    time.Duration   \`toml:"timeout,omitempty"\`
	A, B       bool
	/* a comment
	   over lines */
	Hook func(int) error \`toml:"-"\`
}

type RunnerConfig struct {
	Name string \`toml:"name"\`
	extra.Shared
	Inner
	Named  Inner              \`toml:"named"\`
	Pull   StringOrArray      \`toml:"pull_policy"\`
	Caps   []api.Capability   \`toml:"caps"\`
	Table  *Alias             \`toml:"table,omitempty"\`
	Labels Labels             \`toml:"labels"\`
	Flags  map[string]bool    \`toml:"feature_flags"\`
	Nested struct {
		X int \`toml:"x"\`
	} \`toml:"nested"\`
}

type Kind string

const (
	Local  Kind = "local"
	First       = iota
	Second
	Joined = "a" + "b"
)

var validKinds = []Kind{
	Local,
	"literal",
}

var unresolved = []api.Capability{api.NetAdmin}

var notAList, orThis = f(func() { _ = []string{"x"} }), 2

type Inner struct {
	Depth int    \`toml:"depth"\`
	Other string \`toml:"name"\`
}
`,
  "common/config_test.go": "package common\n\ntype Config struct{ Broken }\n",
  "helpers/extra/extra.go": `package extra

type Shared struct {
	Token string \`toml:"token"\`
	URL   string
}
`,
};

test("extracts keys and Go types as BurntSushi/toml decodes them, naming the tag and commit", async () => {
  const dir = await tempDir();
  try {
    for (const [path, content] of Object.entries(FILES)) {
      mkdirSync(join(dir.path, path, ".."), { recursive: true });
      writeFileSync(join(dir.path, path), content);
    }
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", dir.path, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
        encoding: "utf8",
      }).trim();
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "fixture");
    git("tag", "v1.2.3");
    const commit = git("rev-parse", "HEAD");

    const data = extractRunnerStructs(join(dir.path, ".git"), "v1.2.3");

    expect(data.source).toEqual({ repository: expect.any(String), tag: "v1.2.3", commit });
    expect(data.root).toBe("common.Config");
    const keys = (id: string) =>
      Object.fromEntries(
        Object.entries(data.structs[id]!.fields).map(([key, f]) => [key, [f.field, f.type]]),
      );
    expect(keys("common.Config")).toEqual({
      concurrent: ["Concurrent", { kind: "integer" }],
      log_level: ["LogLevel", { kind: "string", pointer: true }],
      runners: [
        "Runners",
        { kind: "array", items: { kind: "table", struct: "common.RunnerConfig", pointer: true } },
      ],
      timeout: ["Timeout", { kind: "duration" }],
      A: ["A", { kind: "boolean" }],
      B: ["B", { kind: "boolean" }],
    });
    expect(keys("common.RunnerConfig")).toEqual({
      name: ["Name", { kind: "string" }],
      named: ["Named", { kind: "table", struct: "common.Inner" }],
      pull_policy: ["Pull", { kind: "custom", go: "common.StringOrArray" }],
      caps: ["Caps", { kind: "array", items: { kind: "external", go: "k8s.io/api/core/v1.Capability" } }],
      table: ["Table", { kind: "table", struct: "common.Inner", pointer: true }],
      labels: ["Labels", { kind: "map", values: { kind: "string" } }],
      feature_flags: ["Flags", { kind: "map", values: { kind: "boolean" } }],
      nested: ["Nested", { kind: "table", struct: "common.RunnerConfig.Nested" }],
      token: ["Shared.Token", { kind: "string" }],
      URL: ["Shared.URL", { kind: "string" }],
      depth: ["Inner.Depth", { kind: "integer" }],
    });
    expect(keys("common.RunnerConfig.Nested")).toEqual({ x: ["X", { kind: "integer" }] });
    expect(data.structs["common.RunnerConfig.Nested"]!.file).toBe("common/config.go");
    expect(data.valueLists).toEqual({ "common.validKinds": ["local", "literal"] });
    expect(Object.keys(data.structs).sort()).toEqual([
      "common.Config",
      "common.Inner",
      "common.RunnerConfig",
      "common.RunnerConfig.Nested",
    ]);
  } finally {
    await dir.remove();
  }
});

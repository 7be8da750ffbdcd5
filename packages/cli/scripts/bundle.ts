import { readdirSync, readFileSync, rmSync } from "node:fs";
import { constants as http2Constants } from "node:http2";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "rolldown";

// `pnpm build` runs this after tsc: every `src/bin/<name>.ts` becomes one bundled file `dist/bin/<name>.cjs`
// (what `bin/<name>.js` loads), with each dynamically imported module (every command) a chunk of its own,
// loaded only when that command runs. A new binary or command needs no change here (README: "Bundle").
//
// CommonJS, not ESM: importing a Node builtin as an ES module reads every export of it, which loads the
// builtin's lazy parts (`node:util` pulls in worker_threads and readline, `node:fs` its promises and streams);
// `require` does not. That, and one file instead of ~400 modules, is most of what start-up saves.

const cliDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(cliDir, "dist", "bin");
const entries = Object.fromEntries(
  readdirSync(join(cliDir, "src", "bin"))
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
    .map((file) => [basename(file, ".ts"), join(cliDir, "src", "bin", file)]),
);

/**
 * undici's index loads every dispatcher, the mock agents, fetch, WebSocket, the cache stores (and with them
 * http2, dns, worker_threads, sqlite): about 60 ms of a short command. polyarch uses a few classes, so the
 * bundle takes those from their own files. A name not listed here fails the build (missing export), so the
 * list cannot silently fall behind the code: add the name with the file undici's index.js takes it from.
 */
const UNDICI_FILES: Record<string, string> = {
  Agent: "lib/dispatcher/agent.js",
  Dispatcher: "lib/dispatcher/dispatcher.js",
  buildConnector: "lib/core/connect.js",
};
const UNDICI_INTERCEPTORS: Record<string, string> = {
  redirect: "lib/interceptor/redirect.js",
};

function leanUndici(): Plugin {
  const id = "\0polyarch:undici";
  // undici is a dependency of @polyarch/oci, not of the cli: resolve it from there.
  const ociRequire = createRequire(createRequire(join(cliDir, "package.json")).resolve("@polyarch/oci"));
  const undiciDir = dirname(ociRequire.resolve("undici/package.json"));
  const file = (path: string) => JSON.stringify(join(undiciDir, path));
  const code = [
    ...Object.entries(UNDICI_FILES).map(([name, path]) => `import ${name} from ${file(path)};`),
    ...Object.entries(UNDICI_INTERCEPTORS).map(
      ([name, path]) => `import ${name}Interceptor from ${file(path)};`,
    ),
    `import api from ${file("lib/api/index.js")};`,
    // What undici's index does for every dispatcher: `dispatcher.request()` and the other API methods.
    "Object.assign(Dispatcher.prototype, api);",
    `export const interceptors = { ${Object.keys(UNDICI_INTERCEPTORS)
      .map((name) => `${name}: ${name}Interceptor`)
      .join(", ")} };`,
    `export { ${Object.keys(UNDICI_FILES).join(", ")} };`,
  ].join("\n");
  return {
    name: "polyarch-lean-undici",
    resolveId: (source) => (source === "undici" ? id : null),
    load: (loaded) => (loaded === id ? code : null),
  };
}

/**
 * Builtins that dependencies require when they load but use only on paths polyarch never takes; in the
 * bundle each is required on first use instead. One line for one line, so the file's source map still holds
 * (`map: null`: positions unchanged). If a dependency's code changes, the build fails here rather than
 * shipping an unpatched or broken file.
 * - undici's HTTP/2 client reads a few constants of `node:http2` (nghttp2: ~12 MiB of RSS, ~7 ms), though
 *   polyarch never enables HTTP/2 (`allowH2` is off): the constants are written in, from this Node.
 * - commander requires `node:child_process` (and with it `dgram`) for subcommands that are executables,
 *   which polyarch has none of: ~2 ms of every start, `--help` included.
 */
const DEFERRED_BUILTINS: Array<{ file: string; eager: string; deferred: string }> = [
  {
    file: "/lib/dispatcher/client-h2.js",
    eager: "http2 = require('node:http2')",
    deferred: `http2 = { constants: ${JSON.stringify(http2Constants)}, connect: (...args) => require('node:http2').connect(...args) }`,
  },
  {
    file: "/commander/lib/command.js",
    eager: "import childProcess from 'node:child_process';",
    deferred:
      "const childProcess = { spawn: (...args) => globalThis.process.getBuiltinModule('node:child_process').spawn(...args) };",
  },
];

function deferBuiltins(): Plugin {
  return {
    name: "polyarch-defer-builtins",
    transform(source, module) {
      const patch = DEFERRED_BUILTINS.find(({ file }) => module.endsWith(file));
      if (patch === undefined) return null;
      if (!source.includes(patch.eager)) {
        throw new Error(`bundle: ${module} no longer has \`${patch.eager}\`; update DEFERRED_BUILTINS`);
      }
      return { code: source.replace(patch.eager, patch.deferred), map: null };
    },
  };
}

/**
 * A source that reads a JSON file of its package at run time (`createRequire(import.meta.url)("../x.json")`:
 * the manifest in src/version.ts, GitLab's CI schema in @polyarch/ci-template) would look beside the bundle,
 * where nothing ships; the bundle gets the file's content written in, read from where the source would have
 * found it. Any other way of reading a file beside a module fails the build (`shipsNoFileBeside`).
 */
function inlineJsonFiles(): Plugin {
  const read = /createRequire\(import\.meta\.url\)\("(\.\.?\/[^"]+\.json)"\)/g;
  return {
    name: "polyarch-inline-json-files",
    transform(source, module) {
      if (!source.match(read)) return null;
      // On one line, so the file's positions (and its source map) stay as they were; JSON.parse of a string
      // compiles faster than the same data as an object literal.
      const code = source.replace(read, (_, path: string) => {
        const text = JSON.stringify(JSON.parse(readFileSync(join(dirname(module), path), "utf8")));
        return `JSON.parse(${JSON.stringify(text)})`;
      });
      return { code, map: null };
    },
  };
}

/**
 * The bundle runs from dist/bin/, which ships alone (the tool image, `npm install`): a module that finds a
 * file by its own location (`import.meta.url`, `__dirname`) would read beside the bundle and fail at run
 * time, as `polyarch ci check` once did. The build fails instead, naming the chunk.
 */
function shipsNoFileBeside(): Plugin {
  const locating = /\bimport\.meta\.(url|dirname|filename)\b|\b__(filename|dirname)\b/;
  return {
    name: "polyarch-ships-no-file-beside",
    generateBundle(_options, bundle) {
      for (const output of Object.values(bundle)) {
        // The chunk's code, where comments are gone; its modules' code (with comments) names the culprit.
        if (output.type !== "chunk" || !locating.test(output.code)) continue;
        const modules = Object.entries(output.modules).filter(([, { code }]) => locating.test(code ?? ""));
        throw new Error(
          `bundle: ${output.fileName} (${modules.map(([id]) => id).join(", ")}) finds a file by its own ` +
            "location, which would be dist/bin/, where no file of its package ships; read JSON with " +
            "createRequire(import.meta.url) (inlineJsonFiles) or import the asset",
        );
      }
    },
  };
}

/**
 * The bundle holds copies of its dependencies' code, which ships without their package directories (the tool
 * image holds only bin/ and dist/bin/): `THIRD-PARTY-NOTICES.txt` beside it gives, for every package whose
 * code a chunk holds, its name, version, license and the license and notice files it ships.
 */
function thirdPartyNotices(): Plugin {
  const ownFiles = /^(licen[cs]e|notice|copying)(\.|$)/i;
  return {
    name: "polyarch-third-party-notices",
    generateBundle(_options, bundle) {
      const packageDirs = new Set<string>();
      for (const output of Object.values(bundle)) {
        if (output.type !== "chunk") continue;
        for (const id of Object.keys(output.modules)) {
          const found = /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(id);
          if (found?.[1]) packageDirs.add(found[1]);
        }
      }
      const entries = [...packageDirs].map((dir) => {
        const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
        const texts = readdirSync(dir)
          .filter((file) => ownFiles.test(file))
          .sort()
          .map((file) => readFileSync(join(dir, file), "utf8").trim());
        const heading = `${manifest.name}@${manifest.version} (${manifest.license ?? "no license field"})`;
        return { name: manifest.name as string, text: [heading, ...texts].join("\n\n") };
      });
      entries.sort((a, b) => a.name.localeCompare(b.name));
      const rule = `\n\n${"-".repeat(78)}\n\n`;
      this.emitFile({
        type: "asset",
        fileName: "THIRD-PARTY-NOTICES.txt",
        source: `The polyarch bundles hold code of these packages.${rule}${entries.map(({ text }) => text).join(rule)}\n`,
      });
    },
  };
}

rmSync(outDir, { recursive: true, force: true });
const started = Date.now();
await build({
  input: entries,
  platform: "node",
  // Bundle the TypeScript sources (source maps then point at them), not tsc's output.
  resolve: { conditionNames: ["polyarch-source", "node", "import", "require", "default"] },
  plugins: [leanUndici(), deferBuiltins(), inlineJsonFiles(), shipsNoFileBeside(), thirdPartyNotices()],
  treeshake: {
    // polyarch's own modules do nothing when imported but define things (the process entries in src/bin
    // aside), so a command's chunk leaves out every module it uses nothing from: `polyarch mirror` does not
    // load the sync spec's zod schemas and YAML parser because @polyarch/mirror's index re-exports them.
    moduleSideEffects: [{ test: /\/packages\/[^/]+\/src\/(?!bin\/)/, sideEffects: false }],
  },
  output: {
    dir: outDir,
    format: "cjs",
    entryFileNames: "[name].cjs",
    chunkFileNames: "chunks/[name]-[hash].cjs",
    sourcemap: true,
    minify: process.env.POLYARCH_BUNDLE_MINIFY !== "0",
  },
});
process.stdout.write(
  `bundled ${Object.keys(entries).join(", ")} into ${outDir} in ${Date.now() - started} ms\n`,
);

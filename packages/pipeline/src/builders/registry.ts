import { PolyarchError } from "@polyarch/errors";
import { buildah } from "./buildah.ts";
import { buildkit } from "./buildkit.ts";
import { kaniko } from "./kaniko.ts";
import type { Builder, BuilderName } from "./types.ts";

/** In the order a present builder is picked: Kaniko's image is the most specific sign of intent. */
export const BUILDERS: readonly Builder[] = [kaniko, buildah, buildkit];

/**
 * The builder to run (pure): the one `--builder` names, or the first present. `present` lists what the
 * machine has. Exit 2 when the name is unknown, when the named one is absent, or when there is none.
 */
export function chooseBuilder(named: string | undefined, present: readonly BuilderName[]): Builder {
  if (named !== undefined) {
    const builder = BUILDERS.find((b) => b.name === named);
    if (builder === undefined) {
      throw new PolyarchError("POLYARCH_E_BAD_FLAG", `--builder "${named}" is not a builder polyarch runs`, {
        hint: `use one of ${BUILDERS.map((b) => b.name).join(", ")}, or leave --builder out to use the one present`,
      });
    }
    if (!present.includes(builder.name))
      throw noBuilder(`--builder ${named} was asked for, but ${builder.program} is not here`);
    return builder;
  }
  const found = BUILDERS.find((b) => present.includes(b.name));
  if (found === undefined) throw noBuilder("no image builder was found");
  return found;
}

const BY_NAME = Object.fromEntries(BUILDERS.map((b) => [b.name, b])) as Record<BuilderName, Builder>;

/** The builder a plan names. */
export function builderNamed(name: BuilderName): Builder {
  return BY_NAME[name];
}

function noBuilder(problem: string): PolyarchError {
  return new PolyarchError(
    "POLYARCH_E_NO_BUILDER",
    `${problem}; polyarch runs one of ${BUILDERS.map((b) => `${b.title} (${b.program})`).join(", ")}`,
    { hint: BUILDERS.map((b) => `${b.name}: ${b.install}`).join("; ") },
  );
}

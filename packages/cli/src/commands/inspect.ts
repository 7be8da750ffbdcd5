import { formatReference, manifestReference, openStore, parsePlatform, parseReference } from "@polyarch/oci";
import { type Inspection, readInspection } from "../inspection.ts";
import type { Io } from "../output.ts";
import { createClient } from "../registry-client.ts";
import type { RegistryFlags } from "../registry-flags.ts";

export interface InspectOptions extends RegistryFlags {
  platform?: string;
}

/** Reads an image or index and describes it; with `platform`, the matching child of an index. */
export async function inspect(referenceText: string, options: InspectOptions, io: Io): Promise<Inspection> {
  const reference = parseReference(referenceText);
  const wanted = options.platform === undefined ? undefined : parsePlatform(options.platform);
  const { client } = await createClient(
    options,
    io,
    reference.kind === "registry" ? reference.registry : undefined,
  );
  try {
    const store = openStore(reference, client);
    return await readInspection(store, formatReference(reference), manifestReference(reference), wanted);
  } finally {
    await client.close();
  }
}

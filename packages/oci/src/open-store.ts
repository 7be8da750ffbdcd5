import type { ImageReference } from "./core/reference.ts";
import { LayoutStore } from "./layout/store.ts";
import type { RegistryClient } from "./registry/client.ts";
import type { RegistryRepository } from "./registry/repository.ts";

/** The store a reference lives in: a registry repository, or an OCI layout directory. */
export function openStore(
  reference: ImageReference,
  client: RegistryClient,
): RegistryRepository | LayoutStore {
  return reference.kind === "layout"
    ? new LayoutStore(reference.path, client.signal && { signal: client.signal })
    : client.repository(reference.registry, reference.repository);
}

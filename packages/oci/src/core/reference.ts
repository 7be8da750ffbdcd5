import { resolve as resolvePath } from "node:path";
import { MASK, PolyarchError, redactUrl } from "@polyarch/errors";
import { isDigest } from "./digest.ts";

/**
 * A reference to an image in a registry, normalized the way Docker does
 * (https://github.com/distribution/reference): `alpine` is `docker.io/library/alpine:latest`.
 */
export interface RegistryReference {
  kind: "registry";
  /** `docker.io`, `ghcr.io`, `localhost:5000`, `127.0.0.1:5000`. */
  registry: string;
  /** `library/alpine`, `team/app`. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** A reference to an image in an OCI image-layout directory: `oci:<dir>[:<tag>|@<digest>]`. */
export interface LayoutReference {
  kind: "layout";
  path: string;
  tag?: string;
  digest?: string;
}

export type ImageReference = RegistryReference | LayoutReference;

export const DOCKER_HUB = "docker.io";
const DEFAULT_TAG = "latest";
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^\d{1,5}$/;

const FORMS =
  "use [registry[:port]/]repository[:tag][@sha256:<64 hex>], e.g. alpine, ghcr.io/team/app:1.2, localhost:5000/app@sha256:…; or oci:<dir>[:<tag>|@<digest>]";

function bad(input: string, why: string): Error {
  return new PolyarchError(
    "POLYARCH_E_BAD_REFERENCE",
    `${JSON.stringify(input)} is not a valid image reference: ${why}`,
    {
      hint: FORMS,
    },
  );
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
// What follows the `@` of `repo@digest`: a known algorithm, or any algorithm with a long encoded part.
// A port is at most 5 digits, so `user:pass@host:5000` never looks like one.
const DIGEST_SHAPED = /^(?:sha256|sha384|sha512|blake3):|^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-z0-9=_-]{32,}$/i;

/**
 * The index of the `@` that ends a `user:pass@` (or `token@`) in front of the registry, if `input` has
 * one. An `@` starts a digest when a digest-shaped text follows it; otherwise it ends userinfo when a
 * host or path follows it (a `.`, `/` or `localhost`), or when a colon before it has no `/` ahead of
 * it (`user:pass@host`). The password may itself hold `@`, `:` and `/`: the last such `@` counts.
 */
function userinfoEnd(input: string): number | undefined {
  let end: number | undefined;
  for (let at = input.indexOf("@"); at !== -1; at = input.indexOf("@", at + 1)) {
    const after = input.slice(at + 1);
    if (DIGEST_SHAPED.test(after)) break;
    const before = input.slice(0, at);
    if (
      /[./]/.test(after) ||
      after.startsWith("localhost") ||
      (before.includes(":") && !before.includes("/"))
    )
      end = at;
  }
  return end;
}

/**
 * Refuses a reference that carries credentials or a scheme (`https://`, `docker://`) before anything
 * quotes it: the message shows it with the credentials masked, so a password never reaches output.
 */
function refuseCredentialsAndScheme(input: string): void {
  const scheme = SCHEME.exec(input)?.[0];
  const rest = scheme === undefined ? input : input.slice(scheme.length);
  const end = userinfoEnd(rest);
  if (scheme === undefined && end === undefined) return;
  const bare = redactUrl(end === undefined ? rest : rest.slice(end + 1));
  const shown = `${scheme ?? ""}${end === undefined ? "" : `${MASK}@`}${bare}`;
  const why =
    end === undefined
      ? `references have no scheme (${JSON.stringify(scheme)})`
      : "it carries credentials (user:password@ before the registry)";
  throw new PolyarchError(
    "POLYARCH_E_BAD_REFERENCE",
    `${JSON.stringify(shown)} is not a valid image reference: ${why}`,
    {
      hint: `write the reference without ${end === undefined ? "the scheme" : "them"}, as ${bare}; credentials go in --username/--password (or docker login, or the CI_REGISTRY_USER/CI_REGISTRY_PASSWORD variables in GitLab CI), never in a reference, and references have no scheme`,
    },
  );
}

/** True for a valid tag: letters, digits, `_ . -`, at most 128, not starting with `.` or `-`. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Parses a registry reference or an `oci:` layout reference. */
export function parseReference(input: string): ImageReference {
  return input.startsWith("oci:") ? parseLayoutReference(input) : parseRegistryReference(input);
}

/**
 * Parses `[registry[:port]/]repo[:tag][@digest]`. The first path component is a registry when it
 * contains a dot or a colon, or is `localhost`; otherwise the image is on Docker Hub, where
 * single-component names live under `library/`. No tag and no digest means `:latest`.
 */
export function parseRegistryReference(input: string): RegistryReference {
  refuseCredentialsAndScheme(input);
  if (input.trim() !== input || input === "") throw bad(input, "it is empty or has surrounding spaces");
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest))
      throw bad(input, `${JSON.stringify(digest)} is not a digest (sha256: and 64 lowercase hex characters)`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      throw bad(
        input,
        `${JSON.stringify(tag)} is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`,
      );
  }
  const parts = rest.split("/");
  let registry = DOCKER_HUB;
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = parts.shift() as string;
    validateRegistry(input, registry);
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift("library");
  for (const component of parts) {
    if (!COMPONENT.test(component)) {
      const why =
        component !== component.toLowerCase()
          ? `${JSON.stringify(component)} has uppercase letters; repository names are lowercase`
          : `${JSON.stringify(component)} is not a valid repository path component (lowercase letters, digits, and . _ __ - between them)`;
      throw bad(input, why);
    }
  }
  const repository = parts.join("/");
  if (registry.length + repository.length + 1 > 255)
    throw bad(input, "the name is longer than 255 characters");
  const reference: RegistryReference = { kind: "registry", registry, repository };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  if (tag === undefined && digest === undefined) reference.tag = DEFAULT_TAG;
  return reference;
}

function validateRegistry(input: string, registry: string): void {
  let host = registry;
  let port: string | undefined;
  if (registry.startsWith("[")) {
    const end = registry.indexOf("]");
    if (end === -1) throw bad(input, `${JSON.stringify(registry)} is not a valid registry host`);
    port = registry.slice(end + 1).replace(/^:/, "") || undefined;
    validatePort(input, port);
    return;
  }
  const colon = registry.lastIndexOf(":");
  if (colon !== -1) {
    host = registry.slice(0, colon);
    port = registry.slice(colon + 1);
  }
  if (!host.split(".").every((label) => DOMAIN_LABEL.test(label))) {
    throw bad(input, `${JSON.stringify(registry)} is not a valid registry host`);
  }
  validatePort(input, port);
}

function validatePort(input: string, port: string | undefined): void {
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) {
    throw bad(input, `${JSON.stringify(port)} is not a valid port`);
  }
}

/**
 * Parses `oci:<dir>[:<tag>|@<digest>]`. The directory may itself contain colons; a trailing
 * `:<tag>` counts as a tag when it has no slash and is a valid tag.
 */
export function parseLayoutReference(input: string): LayoutReference {
  let rest = input.slice("oci:".length);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at !== -1 && rest.slice(at + 1).includes(":")) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest))
      throw bad(input, `${JSON.stringify(digest)} is not a digest (sha256: and 64 lowercase hex characters)`);
  } else {
    const colon = rest.lastIndexOf(":");
    const candidate = colon === -1 ? undefined : rest.slice(colon + 1);
    if (candidate !== undefined && !candidate.includes("/") && TAG.test(candidate)) {
      tag = candidate;
      rest = rest.slice(0, colon);
    }
  }
  if (rest === "") throw bad(input, "the layout directory is empty; write oci:<dir>");
  const reference: LayoutReference = { kind: "layout", path: rest };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

/** The canonical text of a reference: `registry/repo:tag@digest` or `oci:dir:tag`. */
export function formatReference(reference: ImageReference): string {
  const base =
    reference.kind === "layout" ? `oci:${reference.path}` : `${reference.registry}/${reference.repository}`;
  return `${base}${reference.tag ? `:${reference.tag}` : ""}${reference.digest ? `@${reference.digest}` : ""}`;
}

/** `registry/repository` or `oci:dir`: where the image lives, without tag or digest. */
export function formatRepository(reference: ImageReference): string {
  return reference.kind === "layout"
    ? `oci:${reference.path}`
    : `${reference.registry}/${reference.repository}`;
}

/** What to ask the store for: the digest when there is one (it pins the content), else the tag. */
export function manifestReference(reference: ImageReference): string {
  const pointer = reference.digest ?? reference.tag;
  if (pointer === undefined) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_REFERENCE",
      `"${formatReference(reference)}" names no tag or digest`,
      { hint: FORMS },
    );
  }
  return pointer;
}

/** True for loopback hosts: Docker's default insecure registries (HTTPS tried first, then plain HTTP). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith("[")
    ? registry.slice(1, registry.indexOf("]"))
    : registry.replace(/:\d+$/, "");
  return (
    host === "localhost" ||
    host === "::1" ||
    /^127(?:\.\d{1,3}){3}$/.test(host) ||
    host.endsWith(".localhost")
  );
}

/**
 * Parses a reference keeping only the tag that is written: `parseReference` reads `alpine` as
 * `alpine:latest`, right for an image to read, but a mirror target or a repository to list tags of
 * written without a tag means "no tag" (the source's tag, or every selected tag).
 */
export function parseWrittenReference(text: string): ImageReference {
  const reference = parseReference(text);
  if (reference.kind === "registry" && !hasWrittenTag(text)) delete reference.tag;
  return reference;
}

/** True when a registry reference's text has a `:tag` after its last slash. */
export function hasWrittenTag(text: string): boolean {
  const name = text.split("@")[0] ?? "";
  return name.slice(name.lastIndexOf("/") + 1).includes(":");
}

/** True when both references name one repository (or one layout directory, however it is written). */
export function sameRepository(a: ImageReference, b: ImageReference): boolean {
  if (a.kind === "registry" && b.kind === "registry") {
    return a.registry === b.registry && a.repository === b.repository;
  }
  return a.kind === "layout" && b.kind === "layout" && resolvePath(a.path) === resolvePath(b.path);
}

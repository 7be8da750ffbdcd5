import fc from "fast-check";

const lower = "abcdefghijklmnopqrstuvwxyz0123456789";
const alnum = fc.string({ unit: fc.constantFrom(...lower), minLength: 1, maxLength: 6 });

/** A repository path component: lowercase alphanumerics joined by `.`, `_`, `__` or dashes. */
export const component = fc
  .tuple(alnum, fc.array(fc.tuple(fc.constantFrom(".", "_", "__", "-", "--"), alnum), { maxLength: 2 }))
  .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(""));

const label = fc
  .tuple(fc.string({ unit: fc.constantFrom(..."abcXYZ019"), minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([text, dashed]) => (dashed && text.length > 1 ? `${text[0]}-${text.slice(1)}` : text));

/** A registry host that reads as one: a dotted name, localhost, or a host with a port. */
export const registry = fc.oneof(
  fc.tuple(label, label).map(([a, b]) => `${a}.${b}`),
  fc.constant("localhost"),
  fc
    .tuple(fc.oneof(label, fc.constant("127.0.0.1")), fc.integer({ min: 1, max: 65535 }))
    .map(([host, port]) => `${host}:${port}`),
);

/** A tag: a word character, then up to 127 of word characters, `.` and `-`. */
export const tag = fc
  .tuple(fc.constantFrom(..."aZ09_"), fc.string({ unit: fc.constantFrom(..."aZ09_.-"), maxLength: 20 }))
  .map(([first, rest]) => first + rest);

export const digest = fc
  .string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 })
  .map((hex) => `sha256:${hex}`);

/** A registry reference as people write it, with or without registry, tag and digest. */
export const registryReferenceText = fc
  .record({
    registry: fc.option(registry, { nil: undefined }),
    path: fc.array(component, { minLength: 1, maxLength: 3 }),
    tag: fc.option(tag, { nil: undefined }),
    digest: fc.option(digest, { nil: undefined }),
  })
  .map(({ registry, path, tag, digest }) => {
    // Without a registry, a first component with a dot would read as one (as Docker reads it).
    const [first = "", ...rest] = path;
    const components =
      registry === undefined && rest.length > 0 ? [first.replaceAll(".", "-"), ...rest] : path;
    return `${registry === undefined ? "" : `${registry}/`}${components.join("/")}${tag === undefined ? "" : `:${tag}`}${digest === undefined ? "" : `@${digest}`}`;
  });

/** A layout reference: a directory without `:` or `@`, then an optional tag or digest. */
export const layoutReferenceText = fc
  .record({
    dir: fc.array(fc.string({ unit: fc.constantFrom(..."abc-_. 01"), minLength: 1, maxLength: 6 }), {
      minLength: 1,
      maxLength: 3,
    }),
    absolute: fc.boolean(),
    pointer: fc.oneof(
      fc.constant(""),
      tag.map((t) => `:${t}`),
      digest.map((d) => `@${d}`),
    ),
  })
  .map(({ dir, absolute, pointer }) => `oci:${absolute ? "/" : ""}${dir.join("/")}${pointer}`);

const archs = ["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "x86_64", "aarch64", "armhf"];

/** A platform as written on the command line: os/arch[/variant], aliases and mixed case included. */
export const platformText = fc
  .record({
    os: fc.constantFrom("linux", "windows", "darwin", "Linux", "freebsd"),
    arch: fc.oneof(
      fc.constantFrom(...archs),
      fc.string({ unit: fc.constantFrom(..."aZ9_.-"), minLength: 1, maxLength: 6 }),
    ),
    variant: fc.option(fc.oneof(fc.constantFrom("v5", "v6", "v7", "v8", "8", "v1", "V7"), alnum), {
      nil: undefined,
    }),
  })
  .map(({ os, arch, variant }) => `${os}/${arch}${variant === undefined ? "" : `/${variant}`}`);

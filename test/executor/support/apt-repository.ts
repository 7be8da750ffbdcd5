import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, chown, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";

/** The package the repository holds, by its file name. */
export const HELLO_PACKAGE = "polyarch-hello_1.0_all.deb";

export interface AptRepository {
  /** The sources.list line: `deb [trusted=yes] http://127.0.0.1:PORT/ ./`. */
  source: string;
  /** Every request: its path, and the client's User-Agent (apt's http method sends `Debian APT-HTTP/…`). */
  requests: Array<{ path: string; agent: string }>;
  close(): Promise<void>;
}

/**
 * A flat apt repository on loopback, built in `dir`: the package (helloPackage) and its Packages index
 * (the control fields, Filename, Size and SHA256, as dpkg-scanpackages writes them).
 */
export async function serveAptRepository(dir: string): Promise<AptRepository> {
  await mkdir(dir, { recursive: true });
  const deb = join(dir, HELLO_PACKAGE);
  await helloPackage(join(dir, "package"), deb);
  const bytes = await readFile(deb);
  const control = execFileSync("dpkg-deb", ["--field", deb], { encoding: "utf8" });
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const files = new Map<string, Buffer>([
    [`/${HELLO_PACKAGE}`, bytes],
    [
      "/Packages",
      Buffer.from(`${control}Filename: ./${HELLO_PACKAGE}\nSize: ${bytes.length}\nSHA256: ${sha256}\n\n`),
    ],
  ]);
  const requests: AptRepository["requests"] = [];
  const server = createServer((request, response) => {
    // apt asks for ./Packages as /./Packages: the path as a URL resolves it.
    const path = new URL(request.url ?? "/", "http://repository").pathname;
    requests.push({ path, agent: request.headers["user-agent"] ?? "" });
    const body = files.get(path);
    response.writeHead(body === undefined ? 404 : 200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    source: `deb [trusted=yes] http://127.0.0.1:${port}/ ./`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A .deb made by the host's `dpkg-deb --build` from a tree in `tree` (as root, which gives a directory
 * another group): /usr/bin/polyarch-hello, a setgid directory owned by root:staff (gid 50) as Debian
 * ships /var/local's, and a postinst that adds the system user polyarch-hello (4400) and gives it
 * /var/lib/polyarch-hello.
 */
async function helloPackage(tree: string, deb: string): Promise<void> {
  await mkdir(join(tree, "DEBIAN"), { recursive: true });
  await writeFile(
    join(tree, "DEBIAN/control"),
    "Package: polyarch-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: polyarch tests <tests@polyarch.invalid>\nDescription: a package for the executor's build test\n",
  );
  await writeFile(
    join(tree, "DEBIAN/postinst"),
    [
      "#!/bin/sh",
      "set -e",
      "echo polyarch-hello:x:4400:4400::/var/lib/polyarch-hello:/bin/false >> /etc/passwd",
      "echo polyarch-hello:x:4400: >> /etc/group",
      "chown polyarch-hello:polyarch-hello /var/lib/polyarch-hello",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  await mkdir(join(tree, "usr/bin"), { recursive: true });
  await writeFile(join(tree, "usr/bin/polyarch-hello"), "#!/bin/sh\necho hello from a package\n", {
    mode: 0o755,
  });
  await mkdir(join(tree, "var/lib/polyarch-hello"), { recursive: true });
  await mkdir(join(tree, "var/local/polyarch-hello"), { recursive: true });
  await chown(join(tree, "var/local/polyarch-hello"), 0, 50);
  await chmod(join(tree, "var/local/polyarch-hello"), 0o2775);
  execFileSync("dpkg-deb", ["--build", tree, deb], { stdio: "ignore" });
}

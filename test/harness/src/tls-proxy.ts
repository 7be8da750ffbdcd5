import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:http";
import { createServer, type Server } from "node:https";
import type { LookupFunction } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

export interface TlsProxy {
  /** `NAME:PORT`: the registry as a client names it (resolve NAME to 127.0.0.1). */
  host: string;
  port: number;
  /** The self-signed certificate (PEM) the proxy presents: the CA a client must trust. */
  certificatePem: string;
  stop(): Promise<void>;
}

/**
 * A TLS front for a plain-HTTP registry, under a host name of the test's choosing: the registry as a
 * client meets it on the internet (HTTPS, a certificate for its name) while all traffic stays on
 * loopback. The certificate is self-signed for `name`, so a client trusts it only when given it as CA.
 */
export async function startTlsProxy(targetUrl: string, name = "registry.test"): Promise<TlsProxy> {
  const dir = await mkdtemp(join(tmpdir(), "polyarch-tls-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  await execa("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-subj",
    `/CN=${name}`,
    "-addext",
    `subjectAltName=DNS:${name}`,
    "-days",
    "2",
  ]);
  const [key, certificatePem] = await Promise.all([readFile(keyFile, "utf8"), readFile(certFile, "utf8")]);
  const target = new URL(targetUrl);
  const server: Server = createServer({ key, cert: certificatePem }, (req, res) => {
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        // The registry builds Location headers from Host and X-Forwarded-Proto: they name this proxy.
        headers: { ...req.headers, "x-forwarded-proto": "https" },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    host: `${name}:${port}`,
    port,
    certificatePem,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A resolver for `RegistryClient({ lookup })` that sends every name to 127.0.0.1 (where a TLS proxy listens). */
export const loopbackLookup: LookupFunction = (_host, options, callback) => {
  if (typeof options === "object" && options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
};

import { randomBytes } from "node:crypto";
import { Agent, createServer, type IncomingHttpHeaders, request } from "node:http";
import type { AddressInfo } from "node:net";

/** A request that reached the redirect target. */
export interface OtherHostRequest {
  method: string;
  path: string;
  /** The Authorization header it carried: a client that follows a cross-host redirect must drop it. */
  authorization: string | undefined;
}

/** A second origin (127.0.0.2, another port) standing in for a CDN or object store that blobs redirect to. */
export interface OtherHost {
  url: string;
  requests: OtherHostRequest[];
  /** A URL on this host that serves what `path` on the registry serves, fetched with `headers`. */
  addRedirect(path: string, headers: IncomingHttpHeaders): string;
  stop(): Promise<void>;
}

export async function startOtherHost(target: URL): Promise<OtherHost> {
  const requests: OtherHostRequest[] = [];
  const redirects = new Map<string, { path: string; headers: IncomingHttpHeaders }>();
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      authorization: req.headers.authorization,
    });
    const id = /^\/redirected\/([^/]+)\//.exec(req.url ?? "")?.[1];
    const redirect = id === undefined ? undefined : redirects.get(id);
    if (redirect === undefined) {
      res.writeHead(404).end();
      return;
    }
    // Like a presigned URL: the credentials come from the redirect itself, never from the client.
    const headers = { ...redirect.headers, ...(req.headers.range ? { range: req.headers.range } : {}) };
    delete headers.connection;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: redirect.path, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, pick(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    upstream.end();
  });
  const address = await listenOnSecondAddress(server);
  const url = `http://${address.address}:${address.port}`;
  return {
    url,
    requests,
    addRedirect(path, headers) {
      const id = randomBytes(8).toString("hex");
      redirects.set(id, { path, headers });
      return `${url}/redirected/${id}/${path.split("/").pop()}`;
    },
    async stop() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** 127.0.0.2 is a different host to any client; fall back to another port on 127.0.0.1 if it can't bind. */
async function listenOnSecondAddress(server: ReturnType<typeof createServer>): Promise<AddressInfo> {
  for (const host of ["127.0.0.2", "127.0.0.1"]) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    } catch {
      // try the next address
    }
  }
  throw new Error("other host: could not listen on 127.0.0.2 or 127.0.0.1");
}

function pick(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["content-type", "content-length", "content-range", "docker-content-digest", "etag"]) {
    const value = headers[name];
    if (typeof value === "string") out[name] = value;
  }
  return out;
}

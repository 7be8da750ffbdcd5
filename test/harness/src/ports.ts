import { createServer } from "node:net";

/**
 * A TCP port that was free on `host` a moment ago. Another process can take it before the caller binds,
 * so servers that bind themselves (docker-registry) retry on a new port when that happens.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error(`no port allocated on ${host}`))));
    });
  });
}

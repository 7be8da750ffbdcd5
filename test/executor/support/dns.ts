import { createSocket } from "node:dgram";

// A DNS server that knows one name, for a resolver on the host's loopback (systemd-resolved's place).
// Hand-rolled: it answers A queries for one name from a dozen lines of RFC 1035 framing; a DNS server
// package would bring a whole zone model for that.

export interface DnsServer {
  /** The names asked, in order (every query type). */
  queries: string[];
  stop(): Promise<void>;
}

/** Answers `name` (type A, class IN) with `address` on `host`:53; any other name is NXDOMAIN. */
export async function startDnsServer(host: string, name: string, address: string): Promise<DnsServer> {
  const socket = createSocket("udp4");
  const queries: string[] = [];
  socket.on("message", (query, peer) => {
    if (query.length < 12) return;
    // The question: labels from offset 12 up to a zero length, then QTYPE and QCLASS.
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const length = query[at] as number;
      labels.push(query.subarray(at + 1, at + 1 + length).toString("ascii"));
      at += 1 + length;
    }
    const questionEnd = at + 5;
    if (questionEnd > query.length) return;
    const asked = labels.join(".").toLowerCase();
    const type = query.readUInt16BE(at + 1);
    queries.push(asked);
    const known = asked === name.toLowerCase();
    const answer = known && type === 1;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // the query's id
    // QR, the query's RD, RA; NXDOMAIN for an unknown name.
    header.writeUInt16BE(0x8080 | (query.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer ? 1 : 0, 6);
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(1, 2);
    record.writeUInt16BE(1, 4);
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(4, 10);
    address.split(".").forEach((octet, index) => {
      record[12 + index] = Number(octet);
    });
    const reply = Buffer.concat([header, query.subarray(12, questionEnd), ...(answer ? [record] : [])]);
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(53, host, () => resolve());
  });
  return {
    queries,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

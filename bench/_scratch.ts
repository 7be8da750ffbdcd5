import { indexOf, pushIndex, startRegistry, startFaultProxy, syntheticImage } from "@polyarch/test-harness";
import { execFileSync } from "node:child_process";
const MIB = 1024 * 1024;
let t = Date.now();
const [src, dst] = await Promise.all([startRegistry(), startRegistry()]);
console.log("registries", Date.now() - t); t = Date.now();
const r3 = await startRegistry(); console.log("one more registry", Date.now() - t); await r3.stop();
t = Date.now();
const images = [];
for (const architecture of ["amd64", "arm64", "s390x"]) images.push(await syntheticImage({ platform: { os: "linux", architecture }, layers: [8*MIB,8*MIB,8*MIB,8*MIB], seed: "x" }));
console.log("images", Date.now() - t, images[0]!.layers.map(l=>l.size)); t = Date.now();
await pushIndex(src, "bench/mirror", "multi", indexOf(images));
console.log("push", Date.now() - t);
const proxy = await startFaultProxy(dst.url);
for (const repo of ["a", "b"]) {
  proxy.reset(); t = Date.now();
  execFileSync("skopeo", ["copy", "--all", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${src.host}/bench/mirror:multi`, `docker://${proxy.host}/bench/${repo}:multi`], { stdio: "inherit" });
  console.log("skopeo", repo, Date.now() - t, proxy.counter.requests.map(r => `${r.method} ${r.path.slice(0,90)} ${r.status}`).join("\n"));
}
t = Date.now();
execFileSync("node", ["node_modules/@polyarch/cli/bin/polyarch.js", "mirror", `${src.host}/bench/mirror:multi`, `${dst.host}/bench/c`], { stdio: "inherit" });
console.log("polyarch", Date.now() - t);
await proxy.stop(); await src.stop(); await dst.stop();

// The two-site bed for a person: a hub and a spoke Prosody with real S2S across the link shaper,
// two accounts and one component per site. Commands on stdin change the link; Ctrl-C or the end
// of input stops everything.
import { createInterface } from "node:readline";
import { testAccounts } from "../../test/harness/client.js";
import { startSites, type SiteHandle } from "../../test/harness/sites.js";

const say = (text: string): void => void process.stdout.write(`${text}\n`);
const component = (domain: string) => ({ domain, secret: `${domain.split(".")[0]}-secret` });
const [rooms, talk] = [component("rooms.wonderland.lit"), component("talk.denmark.lit")];
const [hubUsers, spokeUsers] = [
  ["hatter", "alice"],
  ["hamlet", "ophelia"],
];

const bed = await startSites({
  hub: { users: testAccounts(hubUsers), components: [rooms] },
  spoke: { users: testAccounts(spokeUsers), components: [talk] },
});

const describe = (name: string, site: SiteHandle, users: string[], c: typeof rooms) =>
  `  ${name} ${site.domain}: c2s 127.0.0.1:${site.c2sPort} (plain, no TLS), accounts ` +
  `${users.map((u) => `${u}@${site.domain}`).join(", ")} (password <user>-pw)\n` +
  `    component ${c.domain} on 127.0.0.1:${site.componentPort}, secret ${c.secret}\n` +
  `    S2S on ${site.s2sAddress}:5269, reached through the shaper at ${site.linkAddress}:5269\n` +
  `    log ${site.logFile}`;
say(`Two sites, every S2S byte through the link shaper (DNS ${bed.dns.address}):
${describe("hub  ", bed.hub, hubUsers, rooms)}
${describe("spoke", bed.spoke, spokeUsers, talk)}
Commands: rate BITS_PER_SECOND | rate off, latency MS (one way), cut, restore, stats, reset.
Ctrl-C or Ctrl-D stops everything.`);

async function command(line: string): Promise<string> {
  const [verb, arg] = line.trim().split(/\s+/);
  const n = Number(arg);
  switch (verb) {
    case "rate":
      bed.shaper.setRate(arg === "off" ? null : n);
      return arg === "off" ? "rate: unlimited" : `rate: ${n} bit/s`;
    case "latency":
      bed.shaper.setLatency(n);
      return `latency: ${n} ms each way`;
    case "cut":
      await bed.shaper.cut();
      return "link cut: connections dropped, new ones refused";
    case "restore":
      await bed.shaper.restore();
      return "link restored";
    case "stats":
      return JSON.stringify(bed.shaper.stats());
    case "reset":
      bed.shaper.resetStats();
      return "counters reset";
    case "":
    case undefined:
      return "";
    default:
      return `unknown command: ${verb}`;
  }
}

// One command at a time, in order; stopping waits for the one under way.
const rl = createInterface({ input: process.stdin });
let queue = Promise.resolve();
let stopping = false;
const run = (step: () => Promise<void>) => (queue = queue.then(step));
const stop = () => {
  if (stopping) return;
  stopping = true;
  rl.close();
  run(async () => {
    await bed.stop();
    say("sites: stopped");
  });
};
rl.on("line", (line) =>
  run(() =>
    command(line).then(
      (reply) => (reply ? say(reply) : undefined),
      (err: Error) => say(`error: ${err.message}`),
    ),
  ),
);
rl.on("close", stop);
rl.on("SIGINT", stop);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, stop);

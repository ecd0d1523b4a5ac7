// The real-board path of the contract suite in the normal suite: a few contract tests (contract.ts) against
// the board firmware in emulation served on a pseudo-terminal by `smp sim --pty --sim firmware`, in its own
// process, reached through serialport and the kernel's tty layer exactly as HIL_PORT reaches a real board.
// Wall clock on the host side, so everything is judged in board time (the board's STATUS ticks). The chosen
// tests are the ones whose every wait and check is board time and that need no more than one round trip of
// the host within a lease (hardMaxLeaseMs, 500 ms): the handshake, the start from a known state, burst timing,
// the lease park and its cap, a corrupt frame, a limit refusal (of a DOT and of PEDAL settings). The rest (a stop
// mid-burst, a repeated DOT) need several round trips inside one lease, which a loaded 2-core machine cannot
// promise; they run in `npm run test:hil` against HIL_PORT.

import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll } from "vitest";
import { LINK } from "../src/protocol/table.ts";
import { describeContract } from "./contract.ts";
import { describePedalContract } from "./contract-pedal.ts";
import { connectPort, type BoardTarget } from "./harness.ts";

let server: ChildProcess | undefined;
let path = "";

beforeAll(async () => {
  const child = spawn(process.execPath, ["bin/smp.js", "sim", "--pty", "--sim", "firmware"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  server = child;
  path = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`smp sim --pty exited early with ${code}`)));
  });
}, 60_000);

afterAll(async () => {
  const child = server;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await exited;
});

const ptyFirmwareTarget: BoardTarget = {
  name: "board firmware in emulation on a pseudo-terminal (the real-board path)",
  unavailable: undefined,
  connect: () => connectPort(path, LINK.baud),
};

describeContract(ptyFirmwareTarget, [
  "hand-shakes",
  "powers up in ALARM",
  "times a burst itself",
  "parks the needle on its own",
  "caps a lease asked for 10 s",
  "drops a corrupt frame",
  "refuses a dot beyond the hard extension limit",
]);
describePedalContract(ptyFirmwareTarget, ["refuses pedal settings"]);

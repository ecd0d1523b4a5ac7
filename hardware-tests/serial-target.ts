// Contract-suite target: the TypeScript simulated board behind the real serial transport. The host opens the
// port through src/transport/serial.ts (serialTransport), the port is a @serialport/binding-mock port
// (hardware-tests/mock-cable.ts), and its far end is the simulated rig with its cable, in virtual time.
//
// Time stays virtual and exact. serialport delivers asynchronously, but only through process.nextTick and
// promises, so one event-loop turn (cable.settle) drains it completely. waitMs runs the scheduler until the
// board has put a line end (LF) on the wire, settles so the host receives that line at that virtual
// instant, and repeats until the time is up; the host's own writes are settled before time moves on, so
// they reach the board at the instant they were made, as on the in-process target.

import { SimRig, type SimRigOptions } from "../src/sim/rig.ts";
import { VirtualScheduler } from "../src/time/scheduler.ts";
import { LINK } from "../src/protocol/table.ts";
import { serialTransport } from "../src/transport/serial.ts";
import { mockCable } from "./mock-cable.ts";
import { rigHands, rigWorld, rotaryRig, type BoardConnection, type BoardTarget } from "./harness.ts";

const LF = 0x0a;

/** A simulated rig as a BoardConnection whose transport is serial.ts on a mock-binding port. */
export async function connectSerialSimRig(options: SimRigOptions): Promise<BoardConnection> {
  const scheduler = new VirtualScheduler();
  const baud = options.baud ?? LINK.baud;
  const cable = mockCable("/dev/mock-smp-board", baud, (bytes) => rig.transport.write(bytes));
  let lineEnded = false;
  const rig = new SimRig(scheduler, {
    ...options,
    rawHostSink: (bytes) => {
      cable.toHost(bytes);
      if (bytes.includes(LF)) lineEnded = true;
    },
  });
  const transport = await serialTransport(cable.port);
  return {
    transport,
    nowMs: () => scheduler.nowMs(),
    latencyMs: 0,
    baud,
    waitMs: async (ms) => {
      const untilMs = scheduler.nowMs() + ms;
      for (;;) {
        await cable.settle();
        if (scheduler.nowMs() >= untilMs) return;
        lineEnded = false;
        scheduler.runUntilCondition(() => lineEnded, untilMs);
      }
    },
    world: rigWorld(rig),
    hands: rigHands(rig),
    close: async () => {
      await transport.close();
      await rig.transport.close();
    },
  };
}

export const serialSimTarget: BoardTarget = {
  name: "TypeScript simulated board behind serial.ts on @serialport/binding-mock",
  unavailable: undefined,
  connect: () => connectSerialSimRig(rotaryRig()),
};

// The contract target "simulated board behind serial.ts on @serialport/binding-mock" keeps virtual time exact:
// the same exchange with the same simulated rig, once in-process and once through serial.ts on the mock port,
// receives the same frames at the same virtual instants. Asynchronous delivery by serialport costs no time.

import { describe, expect, it } from "vitest";
import { PRIORITY_BYTES } from "../src/protocol/table.ts";
import { tickAdd } from "../src/time/ticks.ts";
import { WireClient, connectSimRig, rotaryRig, type BoardConnection } from "../hardware-tests/harness.ts";
import { connectSerialSimRig } from "../hardware-tests/serial-target.ts";

/** HELLO, unlock, arm, two dots with a priority STOP in the second burst; every frame received with its time. */
async function exchange(conn: BoardConnection): Promise<WireClient["received"]> {
  const c = new WireClient(conn);
  await c.command({ id: "HELLO", fields: {} });
  const info = (await c.next("INFO")).fields;
  const infoAtMs = conn.nowMs();
  const tick = (inMs: number) =>
    tickAdd(info.tick, Math.round(((conn.nowMs() - infoAtMs + inMs) * info.clockHz) / 1000));
  c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
  await conn.waitMs(30);
  await c.command({ id: "UNLOCK", fields: {} });
  await c.command({ id: "ARM", fields: { leaseTick: tick(400) } });
  const dot = (n: number) => ({
    id: "DOT" as const,
    fields: {
      dot: n,
      atTick: tick(20),
      extensionUm: 800,
      strokeHz: 120,
      dutyPermille: 700,
      strokes: 8,
      leaseTick: tick(400),
    },
  });
  await c.command(dot(1));
  await c.next("DOTEND", 400);
  await c.command(dot(2));
  await c.next("STROKE", 300);
  c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
  await c.next("ALARM", 100);
  await conn.waitMs(50);
  await conn.close();
  return c.received;
}

describe("the serial-on-mock-binding contract target", () => {
  it("receives every frame at the same virtual time as the in-process target", async () => {
    const inProcess = await exchange(connectSimRig(rotaryRig()).conn);
    const overSerial = await exchange(await connectSerialSimRig(rotaryRig()));
    expect(inProcess.filter((r) => r.frame.id === "STROKE").length).toBeGreaterThan(8); // dot 1 whole, dot 2 cut
    expect(inProcess.map((r) => r.frame.id)).toContain("ALARM");
    expect(overSerial).toEqual(inProcess);
  });
});

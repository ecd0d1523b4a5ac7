// The real serial transport (src/transport/serial.ts) over a @serialport/binding-mock port: its framing is
// the protocol's LineAssembler (chunks, CR rule, length cap and resync, priority bytes), its writes reach the
// device unchanged, and the end of the port is reported once. The far end is test code (hardware-tests/mock-cable.ts).

import fc from "fast-check";
import { SerialPortMock } from "serialport";
import { describe, expect, it } from "vitest";
import { LineAssembler, decodeFrame } from "../src/protocol/codec.ts";
import { LINK, PRIORITY_BYTES } from "../src/protocol/table.ts";
import { serialTransport } from "../src/transport/serial.ts";
import { SmpError } from "../src/errors/errors.ts";
import { mockCable } from "../hardware-tests/mock-cable.ts";

const HELLO = "0 HELLO*C591";
const UNLOCK = "1 UNLOCK*0290";
const ARM = "2 ARM leaseTick=4294967295*F3C0";
const INFO_256 =
  "2 INFO protocol=1 firmware=smp-fw_1.0.3-rc.2.build.20261121.abcdef012345 schema=0000ffff clockHz=10000 " +
  "bootId=3735928559 tick=123456 hardMaxExtensionUm=1500 hardMaxStrokeHz=160 hardMaxCurrentMa=3000 " +
  "hardMaxDwellMs=300 hardMaxLeaseMs=1000 queueSlots=8*5424";

async function overCable(options: { listen?: boolean } = {}) {
  const fromHost: number[] = [];
  const cable = mockCable("/dev/mock-serial-unit", LINK.baud, (bytes) => fromHost.push(...bytes));
  const transport = await serialTransport(cable.port);
  const lines: string[] = [];
  const closes: string[] = [];
  if (options.listen ?? true) transport.onLine((l) => lines.push(l));
  transport.onClose((r) => closes.push(r));
  return { cable, transport, lines, closes, fromHost };
}

describe("serial transport framing", () => {
  it("hands over a frame split across chunks once it is whole, and several frames of one chunk in order", async () => {
    const { cable, lines, transport } = await overCable();
    cable.toHost("0 HEL");
    await cable.settle();
    expect(lines).toEqual([]);
    cable.toHost(`LO*C591\n${UNLOCK}\n2 ARM`);
    await cable.settle();
    expect(lines).toEqual([HELLO, UNLOCK]);
    cable.toHost(" leaseTick=4294967295*F3C0\n");
    await cable.settle();
    expect(lines).toEqual([HELLO, UNLOCK, ARM]);
    expect(lines.every((l) => decodeFrame(l).ok)).toBe(true);
    await transport.close();
  });

  it("keeps what arrives before the first line listener", async () => {
    const { cable, transport } = await overCable({ listen: false });
    cable.toHost(`${HELLO}\n`);
    await cable.settle();
    const lines: string[] = [];
    transport.onLine((l) => lines.push(l));
    await cable.settle();
    expect(lines).toEqual([HELLO]);
    await transport.close();
  });

  it("drops one CR right before LF (also across chunks), keeps any other CR, which the decoder refuses", async () => {
    const { cable, lines, transport } = await overCable();
    cable.toHost(`${HELLO}\r\n0 HEL\rLO*C591\n${UNLOCK}\r\r\n${ARM}\r`);
    await cable.settle();
    cable.toHost("\n");
    await cable.settle();
    expect(lines).toEqual([HELLO, "0 HEL\rLO*C591", `${UNLOCK}\r`, ARM]);
    expect(lines.map((l) => decodeFrame(l).ok)).toEqual([true, false, false, true]);
    await transport.close();
  });

  it("hands over no empty line for a bare LF or CR LF", async () => {
    const { cable, lines, transport } = await overCable();
    cable.toHost(`\n\r\n\n${HELLO}\n\n`);
    await cable.settle();
    expect(lines).toEqual([HELLO]);
    await transport.close();
  });

  it("passes the longest frame, discards an over-long line up to its LF and resynchronises", async () => {
    const { cable, lines, transport } = await overCable();
    expect(INFO_256.length + 1).toBe(LINK.maxFrameBytes);
    cable.toHost(`${INFO_256}\n`);
    for (let i = 0; i < 5; i++) {
      cable.toHost("x".repeat(300)); // one 1500-byte line in five chunks, never handed over
      await cable.settle();
    }
    cable.toHost(`\n${HELLO}\n`);
    await cable.settle();
    expect(lines).toEqual([INFO_256, HELLO]);
    expect(decodeFrame(lines[0]!).ok).toBe(true);
    await transport.close();
  });

  it("removes a priority byte from the middle of a line, as the board receiver does; the line continues", async () => {
    const { cable, lines, transport } = await overCable();
    const mid = Math.floor(ARM.length / 2);
    cable.toHost(`${ARM.slice(0, mid)}${String.fromCharCode(PRIORITY_BYTES.ESTOP)}${ARM.slice(mid)}\n`);
    await cable.settle();
    expect(lines).toEqual([ARM]);
    expect(decodeFrame(lines[0]!).ok).toBe(true);
    await transport.close();
  });

  it("delivers exactly the lines one LineAssembler makes of the whole stream, however it is chunked", async () => {
    const piece = fc.oneof(
      fc.constantFrom(HELLO, UNLOCK, ARM, INFO_256, "\n", "\r", "\r\n", "\x1c", "\x18", "x".repeat(300)),
      fc.string({ maxLength: 20 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
    );
    const { cable, lines, transport } = await overCable();
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(400), { maxLength: 8 }), async (p, cuts) => {
        const stream = `\n${p.join("")}\n`; // each case starts and ends on a line boundary
        const expected = new LineAssembler()
          .pushAll(Buffer.from(stream, "latin1"))
          .flatMap((item) => (item.kind === "line" ? [item.line] : []));
        lines.length = 0;
        let at = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          cable.toHost(stream.slice(at, Math.max(at, cut)));
          at = Math.max(at, cut);
          await cable.settle();
        }
        cable.toHost(stream.slice(at));
        await cable.settle();
        expect(lines).toEqual(expected);
      }),
      { numRuns: 60 },
    );
    await transport.close();
  });
});

describe("serial transport writes and the end of the port", () => {
  it("writes bytes to the device unchanged and in order, priority bytes included", async () => {
    const { cable, transport, fromHost } = await overCable();
    transport.write(Buffer.from(`${HELLO}\n`, "latin1"));
    transport.write(Uint8Array.of(PRIORITY_BYTES.STOP));
    transport.write(Buffer.from(`${UNLOCK}\n`, "latin1"));
    await cable.settle();
    expect(Buffer.from(fromHost).toString("latin1")).toBe(`${HELLO}\n\x1c${UNLOCK}\n`);
    await transport.close();
  });

  it("reports an unplug once through onClose; later writes are dropped without a second report", async () => {
    const { cable, transport, closes, fromHost } = await overCable();
    cable.unplug();
    await cable.settle();
    expect(closes).toEqual(["device disconnected"]);
    transport.write(Buffer.from(`${HELLO}\n`, "latin1"));
    await cable.settle();
    expect(closes).toEqual(["device disconnected"]);
    expect(fromHost).toEqual([]);
    await transport.close();
  });

  it("reports a write that fails (the device went while nothing was being read) once", async () => {
    const { cable, transport, closes } = await overCable({ listen: false });
    cable.unplug();
    await cable.settle();
    expect(closes).toEqual([]); // no read in flight: nothing has noticed yet
    transport.write(Buffer.from(`${HELLO}\n`, "latin1"));
    transport.write(Buffer.from(`${UNLOCK}\n`, "latin1"));
    await cable.settle();
    expect(closes).toEqual(["write failed: device unplugged"]);
    await transport.close();
  });

  it("does not report its own close, and closes the port", async () => {
    const { cable, transport, closes } = await overCable();
    await transport.close();
    await cable.settle();
    expect(closes).toEqual([]);
    expect(cable.port.isOpen).toBe(false);
    await transport.close(); // closing twice is harmless
  });

  it("refuses a port that cannot be opened with SmpError PORT, naming the path and the baud rate", async () => {
    const port = new SerialPortMock({ path: "/dev/mock-serial-missing", baudRate: LINK.baud, autoOpen: false });
    const err = await serialTransport(port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmpError);
    expect(err).toMatchObject({
      code: "PORT",
      message: expect.stringContaining(`cannot open serial port /dev/mock-serial-missing at ${LINK.baud} baud`),
    });
  });
});

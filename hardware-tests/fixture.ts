// The bench fixture (issue 8 part 7): a second Firmata board (an Arduino Uno running StandardFirmata, through
// johnny-five) whose outputs are wired to the driver board's digital inputs, so the contract tests that need a hand
// on the hardware (pedal, e-stop, cartridge switch, a welded pedal contact) run on a bench without one. Its wiring
// is a rig file (hardware-tests/rigs/uno-fixture.json, validated here): which fixture pin works which contact.
// Output HIGH = contact closed (it pulls the driver board's input to ground). On a real bench: HIL_FIXTURE=rig file
// and HIL_FIXTURE_PORT=the fixture's serial port, beside HIL_PORT. In the normal suite: the real StandardFirmata on
// an emulated Uno, its output pins wired to the emulated driver firmware's input pins (emulatedFixtureTarget).

import { readFileSync } from "node:fs";
import { z } from "zod";
import { connectFirmata } from "../src/console/firmata-console.ts";
import { parseWith } from "../src/profiles/validate.ts";
import { EmulatedUno } from "../src/sim/firmata-uno.ts";
import type { SimRig } from "../src/sim/rig.ts";
import { ensureStandardFirmata } from "../src/sim/standard-firmata.ts";
import {
  connectSimRig,
  firmwareTarget,
  rotaryRig,
  type BoardConnection,
  type BoardHands,
  type BoardTarget,
} from "./harness.ts";

const UnoPin = z.int().min(2).max(19);
export const FixtureFileSchema = z.strictObject({
  kind: z.literal("smp-bench-fixture"),
  version: z.literal(1),
  name: z.string().min(1).max(120),
  board: z.literal("arduino-uno-standard-firmata"),
  wires: z.strictObject({ pedalNo: UnoPin, pedalNc: UnoPin, estop: UnoPin, cartridge: UnoPin }),
  /** How long a contact takes to follow its output on the bench (a relay: a few ms). */
  settleMs: z.int().min(0).max(100),
  notes: z.string().max(2000).optional(),
});
export type FixtureFile = z.infer<typeof FixtureFileSchema>;
type Wire = keyof FixtureFile["wires"];

export const DEFAULT_FIXTURE_FILE = "hardware-tests/rigs/uno-fixture.json";

export function loadFixtureFile(path: string): FixtureFile {
  return parseWith(FixtureFileSchema, readFileSync(path, "utf8"), path, "bench fixture file");
}

/** The contacts the fixture holds: true = closed. At rest as the contract suite expects a bench (and a simulated
 * rig starts): the pedal held down (NO closed, NC open; ARM needs it), the e-stop closed, the cartridge in. */
type Contacts = Record<Wire, boolean>;
const AT_REST: Contacts = { pedalNo: true, pedalNc: false, estop: true, cartridge: true };

/**
 * The fixture's hands: each act sets the contacts, writes the fixture's outputs through johnny-five, and resolves
 * once `reached(wire, closed)` says the change is on the driver board's pins (the emulated wire; on a bench, the
 * settle time).
 */
async function fixtureHands(
  port: object,
  file: FixtureFile,
  reached: (contacts: Contacts, wire: Wire) => Promise<void>,
): Promise<BoardHands> {
  const { board, five } = await connectFirmata(port, `bench fixture (${file.name})`);
  const pins = Object.fromEntries(
    (Object.keys(file.wires) as Wire[]).map((w) => [
      w,
      new five.Pin({ pin: file.wires[w], type: "digital", mode: 1, board }),
    ]),
  ) as Record<Wire, { high(): void; low(): void }>;
  const contacts: Contacts = { ...AT_REST };
  const set = async (change: Partial<Contacts>) => {
    for (const [w, closed] of Object.entries(change) as [Wire, boolean][]) {
      contacts[w] = closed;
      if (closed) pins[w].high();
      else pins[w].low();
      await reached(contacts, w);
    }
  };
  await set(AT_REST);
  return {
    setPedal: (pressed) => set({ pedalNo: pressed, pedalNc: !pressed }),
    weldPedalContact: () => set({ pedalNo: true, pedalNc: true }), // NO welded shut: both contacts read closed
    setEstopButton: (pressed) => set({ estop: !pressed }),
    setCartridge: (present) => set({ cartridge: present }),
  };
}

const WIRE_WAIT_MS = 20_000;

/** The emulated fixture on an emulated rig: the Uno's output pins are the wires to the driver board's inputs. */
async function emulatedFixture(rig: SimRig, file: FixtureFile): Promise<{ hands: BoardHands; uno: EmulatedUno }> {
  const uno = new EmulatedUno({ hexPath: ensureStandardFirmata() });
  uno.start();
  const inputs = rig.board.inputs;
  const hands = await fixtureHands(uno.transport, file, async (contacts, wire) => {
    const t0 = performance.now();
    while (uno.outputHigh(file.wires[wire]) !== contacts[wire]) {
      if (performance.now() - t0 > WIRE_WAIT_MS) throw new Error(`fixture pin ${file.wires[wire]} never followed`);
      await new Promise((r) => setTimeout(r, 1));
    }
    // the driver board sees its contacts as the fixture's outputs hold them (the rig's inputs model the pedal as
    // pressed/stuck: NO and NC both closed is a welded NO contact)
    inputs.pedalPressed = !readPin(uno, file, "pedalNc");
    inputs.pedalStuck = readPin(uno, file, "pedalNo") && readPin(uno, file, "pedalNc");
    inputs.estopButton = !readPin(uno, file, "estop");
    inputs.cartridgePresent = readPin(uno, file, "cartridge");
  });
  return { hands, uno };
}

const readPin = (uno: EmulatedUno, file: FixtureFile, wire: Wire) => uno.outputHigh(file.wires[wire]);

/** The board firmware in emulation with its inputs worked by the emulated fixture, not set directly. */
export const emulatedFixtureTarget: BoardTarget = {
  name: "board firmware on an emulated ATmega328P, its inputs worked by the emulated Firmata bench fixture",
  unavailable: firmwareTarget.unavailable,
  async connect(): Promise<BoardConnection> {
    const { conn, rig } = connectSimRig(rotaryRig({ firmware: true }));
    const { hands, uno } = await emulatedFixture(rig, loadFixtureFile(DEFAULT_FIXTURE_FILE));
    return {
      ...conn,
      hands,
      close: async () => {
        uno.stop();
        await conn.close();
      },
    };
  },
};

/** A real bench's fixture (HIL_FIXTURE, HIL_FIXTURE_PORT), or undefined when none is configured. */
export async function benchFixtureHands(): Promise<{ hands: BoardHands; close(): Promise<void> } | undefined> {
  const filePath = process.env.HIL_FIXTURE;
  const portPath = process.env.HIL_FIXTURE_PORT;
  if (!filePath || !portPath) return undefined;
  const file = loadFixtureFile(filePath);
  const { SerialPort } = await import("serialport");
  const port = new SerialPort({ path: portPath, baudRate: 57_600 });
  const hands = await fixtureHands(port, file, () => new Promise((r) => setTimeout(r, file.settleMs)));
  return { hands, close: () => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())) };
}

/** A real board (HIL_PORT), its inputs worked by the bench fixture when HIL_FIXTURE and HIL_FIXTURE_PORT are set. */
export function withBenchFixture(target: BoardTarget): BoardTarget {
  const fixture = process.env.HIL_FIXTURE ? ` and the bench fixture ${process.env.HIL_FIXTURE}` : "";
  return {
    name: `${target.name}${fixture}`,
    unavailable: target.unavailable,
    async connect(): Promise<BoardConnection> {
      const conn = await target.connect();
      const bench = await benchFixtureHands();
      if (!bench) return conn;
      return {
        ...conn,
        hands: bench.hands,
        close: async () => {
          await bench.close();
          await conn.close();
        },
      };
    },
  };
}

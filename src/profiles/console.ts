// The operator console file (issue 8): which pins of the console's Firmata board (an Arduino Uno running
// StandardFirmata) carry its buttons, its secondary e-stop, its RGB status LED and its buzzer. Validated with zod
// like every other file here: a bad file is refused naming the field, the value and the limit. Pure.

import { z } from "zod";
import { sha256Hex } from "./load.ts";
import { parseWith } from "./validate.ts";

/** An Uno's digital pins 2-19 (0 and 1 are its USART, the Firmata link; 14-19 are A0-A5). */
const UnoPin = z.int().min(2).max(19);

export const ConsoleFileSchema = z
  .strictObject({
    kind: z.literal("smp-console"),
    version: z.literal(1),
    name: z.string().min(1).max(200),
    board: z.literal("arduino-uno-standard-firmata"),
    pins: z
      .strictObject({
        /** Buttons to ground, read with the pin's pull-up: pressed reads low. */
        zoneUp: UnoPin,
        zoneDown: UnoPin,
        /** Arm, and resume after a hold. */
        arm: UnoPin,
        /** The secondary e-stop: a normally-closed contact to ground, so a pressed button or a broken wire reads
         * high (stop). In addition to the driver board's hard-wired e-stop, never instead of it. */
        estop: UnoPin,
        ledRed: UnoPin,
        ledGreen: UnoPin,
        ledBlue: UnoPin,
        buzzer: UnoPin,
      })
      .readonly()
      .superRefine((pins, ctx) => {
        const seen = new Map<number, string>();
        for (const [name, pin] of Object.entries(pins)) {
          if (typeof pin !== "number") continue;
          const other = seen.get(pin);
          if (other !== undefined)
            ctx.addIssue({ code: "custom", message: `pin ${pin} is already ${other}'s`, path: [name] });
          else seen.set(pin, name);
        }
      }),
    notes: z.string().max(2000).optional(),
  })
  .readonly();

export type ConsoleFile = z.infer<typeof ConsoleFileSchema>;
export type ConsolePins = ConsoleFile["pins"];

export interface LoadedConsole {
  readonly console: ConsoleFile;
  readonly hash: string;
  readonly source: string;
}

export function parseConsoleFile(text: string, source: string): LoadedConsole {
  return { console: parseWith(ConsoleFileSchema, text, source, "console file"), hash: sha256Hex(text), source };
}

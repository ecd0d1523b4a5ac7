// The console's status light: one colour per state, the one table both consoles and the docs use.
import type { ConsoleShows } from "../ports/console.ts";

/** Red, green, blue on or off (a plain RGB LED: no shades to misread across the room). */
export const CONSOLE_COLOURS: Readonly<Record<ConsoleShows, { red: boolean; green: boolean; blue: boolean }>> = {
  off: { red: false, green: false, blue: false },
  idle: { red: false, green: false, blue: true }, // connected, the pedal not live
  armed: { red: false, green: true, blue: false }, // the pedal is live
  held: { red: true, green: true, blue: false }, // yellow: stopped, the session open, resume to go on
  fault: { red: true, green: false, blue: false }, // latched: re-arming is the operator's act
};

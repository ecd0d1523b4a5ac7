// The operator console port (issue 8): the acts an operator makes at the chair and what the console shows back.
// Two implementations: a Firmata board through johnny-five (src/console/firmata-console.ts) and the workstation
// keyboard (src/console/keyboard-console.ts). Types only.

/** An operator act from the console. "arm" arms, resumes a hold and confirms a new needle; "stop" holds; "end"
 * ends the session. The e-stop is a secondary one, in addition to the driver board's. */
export type ConsoleAct = "zone-up" | "zone-down" | "arm" | "stop" | "end" | "estop" | "estop-release";

/** What the console's status light shows: one colour per state (CONSOLE_COLOURS in src/console/colours.ts). */
export type ConsoleShows = "off" | "idle" | "armed" | "held" | "fault";

export interface OperatorConsole {
  /** What it is, for the session record and messages ("Firmata console on /dev/ttyACM1", "keyboard"). */
  readonly description: string;
  /** Every act, in the order the operator made them. */
  onAct(listener: (act: ConsoleAct) => void): void;
  show(state: ConsoleShows): void;
  /** The buzzer (a fault) on or off. */
  buzz(on: boolean): void;
  /** Lights and buzzer off, the port released. */
  close(): Promise<void>;
}

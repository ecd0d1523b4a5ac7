// The operator console on the workstation keyboard (issue 8), the other implementation of the console port: the
// arrow keys (or [ and ]) change the zone, Enter or a arms and resumes, ! is the e-stop. The status light is the
// terminal's status line (the state shown is kept for it); the buzzer is the terminal bell. Ctrl-C stays the
// process's own (SIGINT: STOP, twice E-STOP), so raw mode passes it on as a signal.

import type { ConsoleAct, ConsoleShows, OperatorConsole } from "../ports/console.ts";

/** Key sequences, as a raw-mode terminal sends them, and the act each one is. */
export const CONSOLE_KEYS: readonly {
  readonly keys: readonly string[];
  readonly act: ConsoleAct;
  readonly label: string;
}[] = [
  { keys: ["\x1b[A", "]"], act: "zone-up", label: "Up or ]" },
  { keys: ["\x1b[B", "["], act: "zone-down", label: "Down or [" },
  { keys: ["\r", "\n", "a"], act: "arm", label: "Enter or a" },
  { keys: ["!"], act: "estop", label: "!" },
];

interface KeyInput {
  on(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  off(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  setRawMode?(raw: boolean): unknown;
  isTTY?: boolean;
  resume(): unknown;
  pause(): unknown;
}

export interface KeyboardConsole extends OperatorConsole {
  /** What the console was last asked to show (the status line draws it). */
  readonly shown: ConsoleShows;
}

export function keyboardConsole(input: KeyInput, output: { write(s: string): unknown }): KeyboardConsole {
  const listeners: ((act: ConsoleAct) => void)[] = [];
  let shown: ConsoleShows = "off";
  let buzzing = false;
  const onData = (chunk: Buffer | string) => {
    let text = chunk.toString();
    while (text.length > 0) {
      const hit = CONSOLE_KEYS.flatMap((k) => k.keys.map((key) => ({ key, act: k.act }))).find((k) =>
        text.startsWith(k.key),
      );
      if (hit) for (const l of listeners) l(hit.act);
      text = text.slice(hit ? hit.key.length : 1); // any other key is ignored
    }
  };
  if (input.isTTY) input.setRawMode?.(true);
  input.on("data", onData);
  input.resume();
  return {
    description: "keyboard",
    get shown() {
      return shown;
    },
    onAct: (l) => void listeners.push(l),
    show: (state) => {
      shown = state;
    },
    buzz: (on) => {
      if (on && !buzzing) output.write("\x07");
      buzzing = on;
    },
    close: () => {
      input.off("data", onData);
      if (input.isTTY) input.setRawMode?.(false);
      input.pause();
      return Promise.resolve();
    },
  };
}

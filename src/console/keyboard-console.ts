// The operator console on the workstation keyboard (issue 8), the other implementation of the console port: the
// arrow keys (or [ and ]) change the zone, Enter or a arms, resumes and confirms a needle, Space or s holds, q ends
// the session, ! is the e-stop. The status light is the
// terminal's status line (the state shown is kept for it); the buzzer is the terminal bell. Ctrl-C stays the
// process's own (SIGINT: STOP, twice E-STOP): raw mode turns it into a byte, so this console raises SIGINT for it.

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
  { keys: [" ", "s"], act: "stop", label: "Space or s" },
  { keys: ["q"], act: "end", label: "q" },
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

/** A CSI escape sequence (ESC [ parameters final byte): a key this console does not know is skipped whole. */
// eslint-disable-next-line no-control-regex -- a terminal's escape sequences start with the ESC control character
const CSI = /^\x1b\[[0-9;?]*[@-~]/;
/** The start of one, still to be completed by the next read. */
// eslint-disable-next-line no-control-regex -- as above
const CSI_START = /^\x1b(\[[0-9;?]*)?$/;

export function keyboardConsole(
  input: KeyInput,
  output: { write(s: string): unknown },
  /** Ctrl-C in raw mode: the process's SIGINT by default. */
  interrupt: () => void = () => process.kill(process.pid, "SIGINT"),
): KeyboardConsole {
  const listeners: ((act: ConsoleAct) => void)[] = [];
  let shown: ConsoleShows = "off";
  let buzzing = false;
  let pending = ""; // an escape sequence split across two reads
  const onData = (chunk: Buffer | string) => {
    let text = pending + chunk.toString();
    pending = "";
    while (text.length > 0) {
      if (text.startsWith("\x03")) {
        interrupt();
        text = text.slice(1);
        continue;
      }
      const hit = CONSOLE_KEYS.flatMap((k) => k.keys.map((key) => ({ key, act: k.act }))).find((k) =>
        text.startsWith(k.key),
      );
      if (hit) {
        for (const l of listeners) l(hit.act);
        text = text.slice(hit.key.length);
        continue;
      }
      if (text.startsWith("\x1b")) {
        const csi = CSI.exec(text);
        if (csi)
          text = text.slice(csi[0].length); // a key this console does not know, skipped whole
        else if (CSI_START.test(text))
          [pending, text] = [text, ""]; // the rest is still to come
        else text = text.slice(1);
        continue;
      }
      text = text.slice(1); // any other key is ignored
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

// Plays a taps file (src/profiles/taps.ts) on a simulated hand-held session: the foot pedal and the cartridge
// switch are the simulated board's inputs, every other act goes to the session as the operator's. The taps'
// clock starts when it is first the operator's turn (the first segment armed, or a resumed session waiting for
// the re-arm), so a file reads the same whatever the handshake took.

import type { HandAct, HandHeldSession } from "../control/hand-held.ts";
import type { TimedTap } from "../profiles/taps.ts";
import type { BoardInputs } from "../sim/board-model.ts";
import type { Scheduler } from "../time/scheduler.ts";

export function playTaps(
  taps: readonly TimedTap[],
  c: {
    readonly scheduler: Scheduler;
    readonly setInputs: (inputs: Partial<BoardInputs>) => void;
    readonly session: HandHeldSession;
  },
): void {
  const { scheduler, setInputs, session } = c;
  const start = () => {
    const t0 = scheduler.nowMs();
    for (const { atMs, tap } of taps) scheduler.at(t0 + atMs, () => play(tap));
  };
  const play = (tap: TimedTap["tap"]) => {
    if (tap.act === "zone") return session.act({ zone: tap.zone });
    switch (tap.act) {
      case "press":
        return setInputs({ pedalPressed: true });
      case "release":
        return setInputs({ pedalPressed: false });
      case "cartridge-out":
        return setInputs({ cartridgePresent: false });
      case "cartridge-in":
        return setInputs({ cartridgePresent: true });
      case "resume":
      case "confirm":
        return session.act("arm");
      default:
        return session.act(tap.act satisfies HandAct);
    }
  };
  // live, or (a resumed session) held for the operator's re-arm: the operator's turn
  const wait = () => (session.phase !== "starting" ? start() : scheduler.at(scheduler.nowMs() + 1, wait));
  wait();
}

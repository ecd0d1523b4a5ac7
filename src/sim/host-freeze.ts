// The `hang` host fault: a scheduler whose callbacks can be frozen, modelling a host process that stops
// running (GC pause, hung event loop). Timers that fall due while frozen run when it thaws, late, as they
// would in a real process; lines received meanwhile wait, like bytes in a kernel buffer.

import type { LineTransport } from "../ports/line-transport.ts";
import type { Scheduler } from "../time/scheduler.ts";

export class FreezableScheduler implements Scheduler {
  private frozenUntilMs = -Infinity;
  constructor(private readonly inner: Scheduler) {}

  nowMs(): number {
    return this.inner.nowMs();
  }

  at(tMs: number, fn: () => void): () => void {
    let cancel = this.inner.at(tMs, () =>
      this.runOrDefer(fn, (c) => {
        cancel = c;
      }),
    );
    return () => cancel();
  }

  /** Freeze the host for forMs from now. */
  freezeForMs(forMs: number): void {
    this.frozenUntilMs = this.inner.nowMs() + forMs;
  }

  /** Run fn now, or (frozen) once the host thaws; setCancel gets the deferred timer's cancel. */
  private runOrDefer(fn: () => void, setCancel: (c: () => void) => void): void {
    if (this.inner.nowMs() < this.frozenUntilMs)
      setCancel(this.inner.at(this.frozenUntilMs, () => this.runOrDefer(fn, setCancel)));
    else fn();
  }

  /** The transport as the frozen host sees it: received lines wait until it thaws. */
  transport(inner: LineTransport): LineTransport {
    return {
      write: (b) => inner.write(b),
      onLine: (listener) =>
        inner.onLine((line) =>
          this.runOrDefer(
            () => listener(line),
            () => {},
          ),
        ),
      onClose: (l) => inner.onClose(l),
      close: () => inner.close(),
      description: inner.description,
    };
  }
}

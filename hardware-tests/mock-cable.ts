// A serial cable for tests: a @serialport/binding-mock port behind a serialport stream, so the host side runs
// the real transport (src/transport/serial.ts) while the far end is test code (a simulated board, a unit test).
// Bytes the host writes reach `fromHost` once the binding has taken them; `toHost` puts bytes on the line
// through the mock port's emitData; `unplug` fails the binding's reads and writes the way a binding reports a
// device that is gone (any error that is not "canceled" means disconnected to serialport).
//
// Everything between the two ends is process.nextTick and promise work (the mock binding's and Node's
// streams), never a timer or I/O: `settle()`, one turn of the event loop, is therefore a complete drain
// whatever the machine's load. After it every byte written either way has arrived.

import { SerialPortMock } from "serialport";
import { SerialPortStream } from "@serialport/stream";

/**
 * @serialport/binding-mock's MockBinding (the package's exports map has no types for an ES module import, so it
 * is taken from serialport's SerialPortMock, which carries the same module).
 */
const MockBinding = SerialPortMock.binding;
type MockPort = Awaited<ReturnType<typeof MockBinding.open>>;
type BindingPort = NonNullable<SerialPortStream["port"]>;

const gone = () => new Error("device unplugged");

/** A mock port with the cable's two hooks: writes are passed on, and an unplug fails the read in flight. */
function cablePort(mock: MockPort, end: { unplugged: boolean; fromHost: (bytes: Uint8Array) => void }) {
  let failRead: ((err: Error) => void) | undefined;
  const port: BindingPort = {
    get openOptions() {
      return mock.openOptions;
    },
    get isOpen() {
      return mock.isOpen;
    },
    read: (buffer, offset, length) =>
      end.unplugged
        ? Promise.reject(gone())
        : new Promise((resolve, reject) => {
            failRead = reject;
            mock.read(buffer, offset, length).then(resolve, reject);
          }),
    write: async (buffer) => {
      if (end.unplugged) throw gone();
      await mock.write(buffer);
      end.fromHost(Uint8Array.from(buffer));
    },
    close: () => mock.close(),
    update: (options) => mock.update(options),
    set: (options) => mock.set(options),
    get: () => mock.get(),
    getBaudRate: () => mock.getBaudRate(),
    flush: () => mock.flush(),
    drain: () => mock.drain(),
  };
  return { port, unplug: () => failRead?.(gone()) };
}

export interface MockCable {
  /** The host's end: a serialport stream on the mock port, not yet opened (what serialTransport takes). */
  readonly port: SerialPortStream;
  /** The far end sends: the bytes arrive at the host's stream (dropped when the port is not open). */
  toHost(bytes: Uint8Array | string): void;
  /** The device is gone: the read in flight and every later read and write fail. */
  unplug(): void;
  /** Let every byte in flight either way arrive (one turn of the event loop; see the header). */
  settle(): Promise<void>;
}

/** A cable on a fresh mock port at `path` (an earlier mock port of that path is replaced). */
export function mockCable(path: string, baudRate: number, fromHost: (bytes: Uint8Array) => void): MockCable {
  MockBinding.createPort(path);
  const end = { unplugged: false, fromHost };
  let open: { mock: MockPort; unplug: () => void } | undefined;
  const binding = {
    list: () => MockBinding.list(),
    open: async (options: Parameters<typeof MockBinding.open>[0]) => {
      const mock = await MockBinding.open(options);
      const cable = cablePort(mock, end);
      open = { mock, unplug: cable.unplug };
      return cable.port;
    },
  };
  return {
    port: new SerialPortStream({ binding, path, baudRate, autoOpen: false }),
    toHost: (bytes) => {
      const buffer = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : Buffer.from(bytes);
      if (!end.unplugged && open?.mock.isOpen) open.mock.emitData(buffer);
    },
    unplug: () => {
      end.unplugged = true;
      open?.unplug();
    },
    settle: () => new Promise((resolve) => setImmediate(resolve)),
  };
}

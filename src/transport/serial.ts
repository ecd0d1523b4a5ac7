// The real serial port edge: a serialport stream as a LineTransport, at protocol v1's baud rate. Lines are
// framed by the protocol's hostLineReceiver (LineAssembler: frame length cap, CR rule), as on the simulated
// paths. A failed write, a port error or an unplug closes the transport, reported once; the controller
// treats it as LINK_LOST.

import { SerialPort } from "serialport";
import { SmpError } from "../errors/errors.ts";
import { hostLineReceiver } from "../protocol/codec.ts";
import { LINK } from "../protocol/table.ts";
import type { LineTransport } from "../ports/line-transport.ts";

/** What the transport uses of a serialport stream: a device's SerialPort, or a stream on a mock binding. */
export interface PortStream {
  readonly path: string;
  readonly baudRate: number;
  readonly isOpen: boolean;
  open(callback: (err: Error | null) => void): void;
  write(data: Buffer, callback: (err: Error | null | undefined) => void): boolean;
  drain(callback: (err: Error | null) => void): void;
  close(callback: (err: Error | null) => void): void;
  on(event: "data", listener: (chunk: Buffer) => void): this;
  on(event: "close", listener: (err: { disconnected?: boolean } | null) => void): this;
  on(event: "error", listener: (err: Error) => void): this;
}

export function openSerialTransport(path: string, baud: number = LINK.baud): Promise<LineTransport> {
  return serialTransport(new SerialPort({ path, baudRate: baud, autoOpen: false }));
}

/** Open a port stream (created with autoOpen false) and serve it as a LineTransport described by its path. */
export async function serialTransport(port: PortStream): Promise<LineTransport> {
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err
        ? reject(new SmpError("PORT", `cannot open serial port ${port.path} at ${port.baudRate} baud: ${err.message}`))
        : resolve(),
    ),
  );
  const lineListeners: ((line: string) => void)[] = [];
  const closeListeners: ((reason: string) => void)[] = [];
  const receive = hostLineReceiver((line) => {
    for (const l of lineListeners) l(line);
  });
  let closed = false;
  const closeWith = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(reason);
  };
  port.on("close", (err) => closeWith(err?.disconnected ? "device disconnected" : "port closed"));
  port.on("error", (err) => closeWith(`port error: ${err.message}`));
  return {
    description: port.path,
    write: (bytes) => {
      if (closed) return;
      port.write(Buffer.from(bytes), (err) => {
        if (err) closeWith(`write failed: ${err.message}`);
      });
    },
    onLine: (listener) => {
      // the stream holds what arrives before the first listener, and flows from then on
      if (lineListeners.push(listener) === 1) port.on("data", receive);
    },
    onClose: (listener) => {
      closeListeners.push(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        if (!port.isOpen) return resolve();
        port.drain(() => port.close(() => resolve()));
      }),
  };
}

export interface PortInfo {
  readonly path: string;
  readonly manufacturer: string | undefined;
  readonly serialNumber: string | undefined;
  readonly vendorId: string | undefined;
  readonly productId: string | undefined;
}

/** Enumerate serial ports; throws SmpError PORT with the reason when the system cannot. */
export async function listSerialPorts(): Promise<PortInfo[]> {
  try {
    const ports = await SerialPort.list();
    return ports.map((p) => ({
      path: p.path,
      manufacturer: p.manufacturer,
      serialNumber: p.serialNumber,
      vendorId: p.vendorId,
      productId: p.productId,
    }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const hint =
      err.code === "ENOENT" && String(err.message).includes("udevadm")
        ? " (udevadm is missing: install the udev package, or pass --port PATH directly)"
        : "";
    throw new SmpError("PORT", `this system cannot enumerate serial ports: ${err.message}${hint}`);
  }
}

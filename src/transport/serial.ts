// The real serial port edge: serialport for the device, @serialport/parser-readline for framing lines.
// Opens at protocol v1's baud rate; a failed write or an unplug closes the transport, which the
// controller treats as LINK_LOST.

import { SerialPort } from "serialport";
import { ReadlineParser } from "@serialport/parser-readline";
import { SmpError } from "../errors/errors.ts";
import { LINK } from "../protocol/table.ts";
import type { LineTransport } from "../ports/line-transport.ts";

export async function openSerialTransport(path: string, baud: number = LINK.baud): Promise<LineTransport> {
  const port = new SerialPort({ path, baudRate: baud, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err ? reject(new SmpError("PORT", `cannot open serial port ${path} at ${baud} baud: ${err.message}`)) : resolve(),
    ),
  );
  const parser = port.pipe(new ReadlineParser({ delimiter: "\n", encoding: "latin1" }));
  const closeListeners: ((reason: string) => void)[] = [];
  let closed = false;
  const closeWith = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(reason);
  };
  port.on("close", (err: { disconnected?: boolean } | null) =>
    closeWith(err?.disconnected ? "device disconnected" : "port closed"),
  );
  port.on("error", (err: Error) => closeWith(`port error: ${err.message}`));
  return {
    description: path,
    write: (bytes) => {
      if (closed) return;
      port.write(Buffer.from(bytes), (err) => {
        if (err) closeWith(`write failed: ${err.message}`);
      });
    },
    onLine: (listener) => {
      parser.on("data", (raw: string) => {
        const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        if (line.length > 0) listener(line); // a bare LF (the board sends one before BOOT) is no frame
      });
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

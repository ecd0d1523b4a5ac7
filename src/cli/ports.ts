// `smp ports`: the serial ports this system can see, one per line (path, manufacturer, vendor:product,
// serial number). An SmpError PORT from the transport when the system cannot enumerate them.

import type { ExitCode } from "../errors/errors.ts";
import { listSerialPorts } from "../transport/serial.ts";
import { parseCommand } from "./args.ts";
import { printHelp } from "./help.ts";

export async function portsCommand(args: readonly string[]): Promise<ExitCode> {
  if (parseCommand("ports", args).help) return printHelp("ports");
  const ports = await listSerialPorts();
  if (ports.length === 0) console.log("no serial ports found");
  for (const p of ports)
    console.log(
      `${p.path}\t${p.manufacturer ?? ""}\t${p.vendorId ?? ""}:${p.productId ?? ""}\t${p.serialNumber ?? ""}`,
    );
  return 0;
}

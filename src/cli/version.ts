// `smp --version`: the package version, the wire protocol version and the schema hash a board must report in
// HELLO to be armed, one "name value" per line.

import { PROTOCOL_VERSION, schemaHash } from "../protocol/table.ts";
import { packageInfo } from "./package.ts";

export function versionText(): string {
  const { name, version } = packageInfo();
  return [`${name} ${version}`, `protocol ${PROTOCOL_VERSION}`, `schema ${schemaHash()}`].join("\n");
}

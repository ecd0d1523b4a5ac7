// Port (types only) between the host and whatever carries its bytes: the in-process simulated board or a
// real serial port. The host writes bytes and receives whole lines; both implementations satisfy it, and the
// control code depends only on this.

export interface LineTransport {
  /** Write raw bytes (frames or a priority byte). Never throws; a failed write shows up as close. */
  write(bytes: Uint8Array): void;
  /** Called with every received line, without its line terminator. */
  onLine(listener: (line: string) => void): void;
  /** Called once when the transport is gone (port closed, device unplugged). */
  onClose(listener: (reason: string) => void): void;
  close(): Promise<void>;
  /** For the record header: "sim:rotary", "/dev/ttyUSB0", ... */
  readonly description: string;
}

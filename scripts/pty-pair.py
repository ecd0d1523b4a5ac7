#!/usr/bin/env python3
# Makes two raw pseudo-terminals and relays bytes between them, like `socat pty pty` but with only the
# Python standard library (python3 is on every machine the project targets). Prints the two device paths
# (board side first, client side second), then relays until killed. Like a serial line, a side nobody reads
# loses what is sent to it once its buffer is full: the relay never blocks on one side (which would stall the
# other direction too), and a client that opens the port later finds at most a buffer of old bytes, which it
# can flush, instead of everything the board said while no one listened.
import os, pty, select, signal, sys, tty

def main() -> None:
    a_master, a_slave = pty.openpty()
    b_master, b_slave = pty.openpty()
    for fd in (a_slave, b_slave):
        tty.setraw(fd)
    for fd in (a_master, b_master):
        os.set_blocking(fd, False)
    print(os.ttyname(a_slave))
    print(os.ttyname(b_slave), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    peer = {a_master: b_master, b_master: a_master}
    # the relay keeps both slave ends open, so a client closing its end never turns reads into EIO
    while True:
        ready, _, _ = select.select(list(peer), [], [])
        for fd in ready:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                continue
            try:
                if data:
                    os.write(peer[fd], data)  # a partial write drops the rest
            except BlockingIOError:
                pass  # the other side's buffer is full: nobody is reading it

if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

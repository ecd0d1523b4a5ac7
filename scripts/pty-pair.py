#!/usr/bin/env python3
# Makes two raw pseudo-terminals and relays bytes between them, like `socat pty pty` but with only the
# Python standard library (python3 is on every machine the project targets). Prints the two device paths
# (board side first, client side second), then relays until killed.
import os, pty, select, signal, sys, tty

def main() -> None:
    a_master, a_slave = pty.openpty()
    b_master, b_slave = pty.openpty()
    for fd in (a_slave, b_slave):
        tty.setraw(fd)
    print(os.ttyname(a_slave))
    print(os.ttyname(b_slave), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    peer = {a_master: b_master, b_master: a_master}
    # the relay keeps both slave ends open, so a client closing its end never turns reads into EIO
    while True:
        ready, _, _ = select.select(list(peer), [], [])
        for fd in ready:
            data = os.read(fd, 4096)
            if data:
                os.write(peer[fd], data)

if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

#!/usr/bin/env python3
"""render-tty.py FILE - what a terminal shows for the bytes in FILE (as script(1) recorded them).

Handles only what vmm and its guests send: printable bytes, CR, LF and ESC [ K (erase to the
end of the line); prints the screen's lines, one per output line.  Used by statusline.t to check
that the status line never shares a line with the guest's output.
"""
import re
import sys

ERASE = b"\x1b[K"


def render(line):
    buf, col = bytearray(), 0
    for seg in re.split(rb"(\r|\x1b\[K)", line):
        if seg == b"\r":
            col = 0
        elif seg == ERASE:
            del buf[col:]
        else:
            buf[col:col + len(seg)] = seg
            col += len(seg)
    return bytes(buf)


with open(sys.argv[1], "rb") as f:
    data = f.read()
out = sys.stdout.buffer
for line in data.split(b"\n"):
    out.write(render(line) + b"\n")

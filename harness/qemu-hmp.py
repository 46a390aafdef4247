#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# qemu-hmp.py SOCKET COMMAND...: send each COMMAND to the human monitor of
# a running QEMU listening on the unix SOCKET, and print what it answers,
# each answer under a "## COMMAND" heading. Used to record the state of a
# guest that stopped making progress (vm.sh, deb-boot.sh) before it is
# killed: the local APICs, the CPUs' registers.
import socket
import sys
import time


def read_until_prompt(sock, timeout):
    data = b""
    end = time.monotonic() + timeout
    while not data.endswith(b"(qemu) "):
        left = end - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: qemu-hmp.py SOCKET COMMAND...")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(sys.argv[1])
    read_until_prompt(sock, 10)
    for cmd in sys.argv[2:]:
        sock.sendall(cmd.encode() + b"\n")
        out = read_until_prompt(sock, 30)
        # The monitor echoes the command line and ends with a prompt
        lines = out.replace("\r", "").split("\n")
        lines = [l for l in lines[1:] if l != "(qemu) "]
        print("## " + cmd)
        print("\n".join(lines).rstrip("\n"))
    sock.close()


if __name__ == "__main__":
    main()

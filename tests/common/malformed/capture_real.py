#!/usr/bin/env python3
"""Captures the small real loopback capture the malformed corpus is cut from.

Run once by hand (needs root for tcpdump); the result is committed so the test suite
does not depend on it: real-lo.pcap (EN10MB on lo), real-any.pcap (LINUX_SLL2, -i any),
real-lo.pcapng (editcap) and real-expected.json (SHA-256 of what each sender wrote).

Four sequential connections, each fully closed before the next one opens, so a file cut
inside connection N still holds connections 1..N-1 complete.
"""
import hashlib, json, os, random, signal, socket, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))


def payload(seed, size):
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(size))


# (request sizes, response sizes) per round, per connection.
PLAN = [
    [(180, 1200)],
    [(220, 3000)],
    [(100, 900), (140, 700), (90, 1500), (120, 600)],  # many packets: the cut goes here
    [(60, 300)],
]


def run(iface, out, port):
    proc = subprocess.Popen(
        ["tcpdump", "-i", iface, "-s", "0", "-U", "--immediate-mode", "-n", "-w", out, f"tcp port {port}"],
        stderr=subprocess.PIPE)
    for _ in range(5):  # "data link type ..." (for -i any), then "listening on ..."
        line = proc.stderr.readline()
        if b"listening" in line:
            break
    else:
        sys.exit(f"tcpdump failed: {line!r}")
    time.sleep(1.0)  # the capture socket may still be draining when "listening" is printed
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    expected = []

    def serve():
        for ci, rounds in enumerate(PLAN):
            conn, _ = srv.accept()
            for ri, (req, resp) in enumerate(rounds):
                got = b""
                while len(got) < req:
                    got += conn.recv(req - len(got))
                conn.sendall(payload(f"s{ci}.{ri}", resp))
            conn.recv(1)  # client's FIN
            conn.close()

    t = threading.Thread(target=serve)
    t.start()
    for ci, rounds in enumerate(PLAN):
        c = socket.create_connection(("127.0.0.1", port))
        c2s = hashlib.sha256()
        s2c = hashlib.sha256()
        nc2s = ns2c = 0
        for ri, (req, resp) in enumerate(rounds):
            data = payload(f"c{ci}.{ri}", req)
            c.sendall(data)
            c2s.update(data)
            nc2s += req
            got = b""
            while len(got) < resp:
                got += c.recv(resp - len(got))
            s2c.update(got)
            ns2c += resp
            time.sleep(0.01)
        c.shutdown(socket.SHUT_WR)
        c.recv(1)
        c.close()
        expected.append({"c2s_bytes": nc2s, "c2s_sha256": c2s.hexdigest(),
                         "s2c_bytes": ns2c, "s2c_sha256": s2c.hexdigest()})
        time.sleep(0.05)
    t.join()
    srv.close()
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)
    return expected


def main():
    port = random.randint(20000, 60000)
    exp = run("lo", os.path.join(HERE, "real-lo.pcap"), port)
    exp2 = run("any", os.path.join(HERE, "real-any.pcap"), port + 1)
    assert exp == exp2
    subprocess.check_call(["editcap", "-F", "pcapng", os.path.join(HERE, "real-lo.pcap"),
                           os.path.join(HERE, "real-lo.pcapng")])
    with open(os.path.join(HERE, "real-expected.json"), "w") as f:
        json.dump({"connections": exp}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

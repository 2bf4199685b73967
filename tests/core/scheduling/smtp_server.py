"""A small real SMTP server on 127.0.0.1 for tests: EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL,
RCPT, DATA. Received messages land in `messages`; a throwaway self-signed certificate is made
with the openssl command."""

from __future__ import annotations

import base64
import socketserver
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path


def make_cert(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: str
    tls: bool
    user: str | None


@dataclass
class SmtpServer:
    cert: Path
    key: Path
    user: str = "ann"
    password: str = "s3cret"
    messages: list[Mail] = field(default_factory=list)
    refused_handshakes: list[str] = field(default_factory=list)
    port: int = 0

    def start(self) -> SmtpServer:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                outer._session(self, ctx)

        self._srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._srv.daemon_threads = True
        self.port = self._srv.server_address[1]
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()
        self._thread.join()

    def _session(self, h: socketserver.StreamRequestHandler, ctx: ssl.SSLContext) -> None:
        sock = h.connection
        rfile, tls, user = h.rfile, False, None
        sender, rcpts = "", []

        def send(line: str) -> None:
            sock.sendall((line + "\r\n").encode())

        send("220 localhost test SMTP")
        while True:
            raw = rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            cmd = line.split(" ", 1)[0].upper()
            arg = line[len(cmd):].strip()
            if cmd == "EHLO":
                send("250-localhost")
                send("250 AUTH PLAIN LOGIN" if tls else "250 STARTTLS")
            elif cmd == "STARTTLS" and not tls:
                send("220 go ahead")
                try:
                    sock = ctx.wrap_socket(sock, server_side=True)
                except ssl.SSLError as e:  # the client refused our certificate
                    self.refused_handshakes.append(e.reason or str(e))
                    return
                rfile, tls = sock.makefile("rb"), True
            elif cmd == "AUTH" and tls:
                parts = arg.split()
                if parts[0].upper() == "PLAIN":
                    if len(parts) > 1:
                        blob = parts[1]
                    else:
                        send("334 ")
                        blob = rfile.readline().decode().strip()
                    _, u, p = base64.b64decode(blob).decode().split("\0")
                else:
                    send("334 VXNlcm5hbWU6")
                    u = base64.b64decode(rfile.readline().strip()).decode()
                    send("334 UGFzc3dvcmQ6")
                    p = base64.b64decode(rfile.readline().strip()).decode()
                if (u, p) == (self.user, self.password):
                    user = u
                    send("235 ok")
                else:
                    send("535 bad credentials")
            elif cmd == "MAIL":
                if user is None:
                    send("530 authentication required")
                    continue
                sender, rcpts = arg.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                send("250 ok")
            elif cmd == "RCPT":
                rcpts.append(arg.split(":", 1)[1].strip().strip("<>"))
                send("250 ok")
            elif cmd == "DATA":
                send("354 end with .")
                lines = []
                while (d := rfile.readline().decode()) not in (".\r\n", ""):
                    lines.append(d[1:] if d.startswith("..") else d)
                self.messages.append(Mail(sender, rcpts, "".join(lines), tls, user))
                send("250 queued")
            elif cmd == "QUIT":
                send("221 bye")
                return
            elif cmd in ("RSET", "NOOP"):
                send("250 ok")
            else:
                send("502 not implemented")

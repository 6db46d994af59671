"""A minimal IMAP4rev1 server on loopback (RFC 3501), enough for the e-mail channel's
poller: LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH … (BODY.PEEK[]), UID STORE
+FLAGS(.SILENT) (\\Seen), NOOP, LOGOUT. One mailbox, in memory; a test appends mail with
``deliver`` and reads the flags back."""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Mail:
    uid: int
    data: bytes
    flags: set[str] = field(default_factory=set)


class FakeImap:
    def __init__(self, user: str, password: str, folder: str = "INBOX") -> None:
        self.user, self.password, self.folder = user, password, folder
        self.mails: list[Mail] = []
        self.fetched: list[int] = []  # every UID FETCH, in order
        self.logins = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                fake._serve(self)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def deliver(self, data: bytes) -> int:
        with self._lock:
            uid = (self.mails[-1].uid if self.mails else 100) + 1
            self.mails.append(Mail(uid, data))
            return uid

    def flags(self, uid: int) -> set[str]:
        return next(m.flags for m in self.mails if m.uid == uid)

    def _serve(self, h: socketserver.StreamRequestHandler) -> None:
        def send(line: str) -> None:
            h.wfile.write(line.encode() + b"\r\n")

        send("* OK [CAPABILITY IMAP4rev1] fake ready")
        authed = selected = False
        while True:
            raw = h.rfile.readline()
            if not raw:
                return
            tag, _, rest = raw.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "CAPABILITY":
                send("* CAPABILITY IMAP4rev1")
                send(f"{tag} OK CAPABILITY completed")
            elif command == "NOOP":
                send(f"{tag} OK NOOP completed")
            elif command == "LOGOUT":
                send("* BYE logging out")
                send(f"{tag} OK LOGOUT completed")
                return
            elif command == "LOGIN":
                parts = [p.strip('"') for p in args.split(" ")]
                if parts == [self.user, self.password]:
                    authed = True
                    self.logins += 1
                    send(f"{tag} OK LOGIN completed")
                else:
                    send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
            elif not authed:
                send(f"{tag} BAD log in first")
            elif command in ("SELECT", "EXAMINE"):
                if args.strip('"') != self.folder:
                    send(f"{tag} NO no such folder")
                    continue
                selected = True
                send(f"* {len(self.mails)} EXISTS")
                send("* 0 RECENT")
                send("* OK [UIDVALIDITY 7] UIDs valid")
                send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
                send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif not selected:
                send(f"{tag} BAD select a folder first")
            elif command == "UID":
                self._uid(tag, args, h, send)
            else:
                send(f"{tag} BAD unknown command")

    def _uid(self, tag: str, args: str, h: socketserver.StreamRequestHandler, send: object) -> None:
        assert callable(send)
        sub, _, rest = args.partition(" ")
        sub = sub.upper()
        with self._lock:
            mails = list(self.mails)
        if sub == "SEARCH":
            wanted = [
                m.uid for m in mails if "UNSEEN" not in rest.upper() or "\\Seen" not in m.flags
            ]
            send("* SEARCH" + "".join(f" {u}" for u in wanted))
            send(f"{tag} OK SEARCH completed")
        elif sub == "FETCH":
            uid = int(rest.split(" ", 1)[0])
            for n, m in enumerate(mails, start=1):
                if m.uid == uid:
                    self.fetched.append(uid)
                    h.wfile.write(
                        f"* {n} FETCH (UID {uid} BODY[] {{{len(m.data)}}}\r\n".encode()
                        + m.data
                        + b")\r\n"
                    )
            send(f"{tag} OK FETCH completed")
        elif sub == "STORE":
            match = re.match(r"(\d+) \+FLAGS(?:\.SILENT)? \((.*)\)", rest)
            if match is None:
                send(f"{tag} BAD bad STORE")
                return
            for m in mails:
                if m.uid == int(match.group(1)):
                    m.flags.update(match.group(2).split())
            send(f"{tag} OK STORE completed")
        else:
            send(f"{tag} BAD unknown UID command")

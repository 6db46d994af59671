"""The e-mail channel's listeners: the embedded SMTP server (where HUILIU_SMTP_PORT is set)
and the IMAP poller (always; it polls only accounts with an ``imap_host``)."""

from __future__ import annotations

from huiliu.channels.email import imap, smtp_server
from huiliu.channels.listeners import Listener

LISTENERS = (
    Listener(
        name="email.smtp",
        run=smtp_server.serve,
        enabled=lambda runtime: runtime.settings.smtp_port > 0,
    ),
    Listener(name="email.imap", run=imap.poll),
)

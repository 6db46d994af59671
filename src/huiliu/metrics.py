"""Prometheus metrics, served at /metrics.

Counters are per process; a scaled-out deployment scrapes every node.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_STORED = Counter("huiliu_messages_stored_total", "Messages stored by the writer.")
RESENDS_ANSWERED = Counter(
    "huiliu_resends_answered_total", "Resent client_msg_ids answered with the first ack."
)
SEND_REJECTED = Counter(
    "huiliu_send_rejected_total", "Sends refused by a check, by error code.", ["code"]
)
WRITER_BATCH = Histogram(
    "huiliu_writer_batch_size",
    "Requests stored per writer transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
WRITER_COMMIT_SECONDS = Histogram(
    "huiliu_writer_commit_seconds",
    "Time to store one writer batch, from BEGIN to COMMIT.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
SOCKETS = Gauge("huiliu_sockets", "Open WebSockets on this process.", ["kind"])
FRAME_ERRORS = Counter(
    "huiliu_frame_errors_total", "Error frames sent to clients, by code.", ["code"]
)
OUTBOX_JOBS = Counter(
    "huiliu_outbox_jobs_total",
    "Outbox jobs finished, by kind and outcome (done, retried, failed, dead; coalesced: done by "
    "the run of an earlier job of their ref).",
    ["kind", "outcome"],
)
SLOW_CONSUMERS = Counter(
    "huiliu_slow_consumers_total", "Sockets closed because their send queue overflowed."
)

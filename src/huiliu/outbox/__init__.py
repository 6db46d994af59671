"""The transactional outbox: slow or external work (webhook deliveries, offline pushes)
written as rows in the same transaction as the change that causes it, and run by workers
at least once (see docs/architecture.md, "The outbox and the worker")."""

"""Quality review: checklists, samples of closed conversations, reviews scored against a
checklist, and agents' disputes (docs/quality.md)."""

"""The phone / call-centre channel: a PBX's call events become call records in the
customer's one history (docs/channels/phone.md)."""

"""Service marketing: templates, campaigns for a segment or on the merchant's events, and
their deliveries — each customer once, with consent, quiet hours and caps (docs/campaigns.md)."""

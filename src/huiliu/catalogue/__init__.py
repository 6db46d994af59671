"""The merchant's products, synced through the integration API, and the cards the workbench
recommends from them (docs/profile.md, "Recommendations")."""

"""Claim statuses leaving the workbench: CSV, JSON Lines and schema.org ClaimReview."""

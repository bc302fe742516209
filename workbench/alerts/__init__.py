"""Telling people when a checked claim comes back: alert rules, the inbox, webhooks and their
delivery.
"""

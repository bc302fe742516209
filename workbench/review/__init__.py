"""What editors do with claims: the queue and its filters, priority, taking and verdicts, evidence
and sources, duplicates and clusters.
"""

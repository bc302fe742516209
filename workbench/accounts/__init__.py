"""Who may log in: users, API and feed tokens, and the log-in throttle."""

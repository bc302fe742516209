"""Articles coming in: read from files, pages and JSON Lines, split into claims, scored for check-
worthiness, stored; and archives of checked claims imported.
"""

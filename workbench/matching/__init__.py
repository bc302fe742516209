"""Telling whether two claims say the same thing: normalising, aliases and synonyms, the facts of a
claim, the text index, scoring, and the similar-claims search.
"""

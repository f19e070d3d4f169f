"""Helpers shared by front-end passes: scopes, constant evaluation and typing rules.

Nothing here is a pass; each module serves one or more passes in `nanowyki.passes`.
"""

"""The WYKI intermediate languages, one module each, in pipeline order.

Each module's docstring completes "In `X`, every ... / no ...", gives the grammar difference from
its parent, and defines the node types the language adds.
"""

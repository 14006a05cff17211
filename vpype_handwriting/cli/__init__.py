"""Command-line layer: the only part of the package that imports click and vpype_cli."""

"""Panels around the diagram: the equation and caption, the inputs, dialogs."""

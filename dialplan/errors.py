"""The error of everything that renders Asterisk text."""


class RenderError(ValueError):
    """A value cannot go into Asterisk's configuration as it is."""

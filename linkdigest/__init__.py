"""linkdigest: the shared library behind the link-digest blog's plugins and scripts."""

__version__ = "0.1.0"

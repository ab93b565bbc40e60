"""The digest format: the values (Digest, Section, Entry), the pure parser from Markdown and
the writer back to it, and the URL rules every wing shares (``docs/digest-format.md``).

May import: ``linkdigest.errors`` and the standard library only. Everything else may import it.
"""

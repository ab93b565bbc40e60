"""Link checking: where links are written (places), verdicts from answers, the run over many
links, the report, site-internal links of a built site, archived copies of dead links.

May import: ``linkdigest.format``, ``linkdigest.net``, ``linkdigest.errors``,
``linkdigest.files``, ``linkdigest.settings``.
"""

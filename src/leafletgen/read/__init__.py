"""Read: a source file -> a :class:`~leafletgen.model.Document`.

Readers by format (Markdown, text scrape), chrome and heading kinds kept as
data, the corpus catalogue (``sources.yaml``).
"""

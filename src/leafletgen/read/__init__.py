"""Read: a source file -> a :class:`~leafletgen.model.Document`.

Readers by format (Markdown, text scrape), chrome and heading kinds kept as
data, the corpus catalogue (``sources.yaml``):

* ``sources``: ``sources.yaml`` and the corpus; ``document``: the reader
  registry and ``read_document``;
* ``markdown``, ``scrape``: a format's lines -> tokens;
* ``decode``: bytes -> text; ``profiles``: publisher rules from
  ``data/profiles.yaml``; ``chrome``: site chrome removed; ``dates``: review
  dates on the page; ``text``: tokens, visible text, sentences;
* ``outline``: tokens -> classified sections (``classify``: section kinds
  from ``data/kinds.yaml``); ``furniture``: lines that look like web furniture.
"""

"""Source review: a person looks at what each source prints before a patient does.

:mod:`~leafletgen.review.sources` keeps the record (``sources/reviews.yaml``)
and applies it to documents as they are read; :mod:`~leafletgen.review.outline`
shows a source's outline with every uncertain line marked and records a
review; :mod:`~leafletgen.review.reasons` turns both into distribution
reasons. The not-cleared band is a template, ``templates/notice/band.html``.
"""

"""Render: a leaflet, its translator and status -> HTML -> PDF bytes.

:mod:`~leafletgen.render.context` gives the template's values as typed data,
:mod:`~leafletgen.render.html` fills the template (``render_html``),
:mod:`~leafletgen.render.pdf` turns HTML into PDF bytes (``render_pdf``), and
:mod:`~leafletgen.render.weasy` holds every adaptation of WeasyPrint; fonts,
bidi and the leaflet's web page (twin) beside them.
"""

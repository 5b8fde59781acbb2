"""Render: a leaflet, its translator and status -> HTML -> PDF bytes; fonts,
bidi and the leaflet's web page."""

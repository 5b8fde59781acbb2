"""Select: clinic, leaflet definitions and drugs.yaml; a definition and the
corpus -> a :class:`~leafletgen.model.Leaflet`."""

"""The leaflet desk and the portal API over the same stages (see :mod:`.app`)."""

"""Publish: one writer for a leaflet's files (PDF, FHIR, Provenance, web page)
and its manifest entry, as one unit."""

"""Select: a definition and the corpus -> a :class:`~leafletgen.model.Leaflet`.

* ``clinic``: ``clinic.yaml`` and its logo; ``definitions``: leaflet
  definitions and their selectors; ``drugs``: ``drugs.yaml``, one definition
  per drug;
* ``selection``: ``select_sections(spec, documents) -> Leaflet``;
  ``passages``: the passages naming a drug;
* ``furniture``, ``readability``: what a person checks in a selected leaflet.
"""

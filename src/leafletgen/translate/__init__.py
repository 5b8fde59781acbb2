"""Translate: gettext catalogs, translation QA, translation reviews, XLIFF.

* ``catalogs``: language codes and the ``.po`` files (read, check, write,
  update, compile); ``extract``: the ``messages`` and ``content`` templates;
* ``translator``: a leaflet's strings in one language, and what it needs;
* ``qa``: the named checks of a translated entry; ``reviews``: who translated
  and who approved; ``xliff``: the round trip with review tools.
"""

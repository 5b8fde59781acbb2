"""Imported, before it forks any worker, by the local pool's fork server
(whose preload list takes module names, not calls): WeasyPrint loaded
through :func:`leafletgen.render.weasy.load`, without the processes a plain
``import weasyprint`` starts to look for its libraries."""

from leafletgen.render import weasy

weasy.load()

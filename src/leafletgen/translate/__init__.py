"""Translate: gettext catalogs, translation QA, translation reviews, XLIFF."""

"""Journeys in Firefox ESR through Marionette: the sync engine across pages and its back/forward cache."""

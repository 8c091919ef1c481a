"""Folium maps: coverage of a region and period, one patrol, one river (issue 6).

Builders (``coverage``, ``patrol``, ``river``) take frames and return a ``folium.Map``; no
database here (``gis_service.services.maps`` loads the data). ``assets`` renders a map with
its JavaScript/CSS from a CDN, from the app's ``/static/vendor``, or inlined (``vendor``).
"""

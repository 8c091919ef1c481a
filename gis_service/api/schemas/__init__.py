"""Response schemas of the JSON routes, one module per feature: the records the services
return (``gis_service.records``), or models matching what a route builds, so that
``/openapi.json`` names and describes every response."""

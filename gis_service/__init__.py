"""河湖长制 GIS service: who answers for this stretch, did anyone walk it, where are the gaps."""

__version__ = "0.1.0"

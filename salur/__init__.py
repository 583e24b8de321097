"""salur: route Indonesian public-service complaints to the responsible OPD."""

__version__ = "0.1.0"

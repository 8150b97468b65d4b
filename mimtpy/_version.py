"""The version of mimtpy (one place; imported by the package and by writers that stamp outputs)."""

__version__ = "0.1.0"

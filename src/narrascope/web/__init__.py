"""The web workbench and JSON API over a Narrascope store (`narrascope serve`)."""

from narrascope.web.app import create_app, serve

__all__ = ["create_app", "serve"]

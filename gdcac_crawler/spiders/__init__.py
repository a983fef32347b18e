"""Spiders: one portal spider class, registered once per portal under the portal's name."""

"""Customers: contacts, accounts, products and orders, the 360, merge, duplicates, data
quality, the value read model, offers and imports."""

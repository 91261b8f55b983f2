"""Parts of the Customers pages (forms and views) that no page registry entry opens on its own."""

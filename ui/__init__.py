"""Streamlit-only helpers shared by pages: login, cached engine and sessions, formatting, forms."""

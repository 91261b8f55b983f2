"""Relasi domain layer: entities, rules, analytics, permissions and audit; no Streamlit here."""

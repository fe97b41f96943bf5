"""Every human-facing interface: the terminal CLI (and, later, the Streamlit app)."""

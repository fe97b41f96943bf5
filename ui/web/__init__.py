"""The browser interface (Streamlit): the meeting room, the scenario library and workshop mode."""

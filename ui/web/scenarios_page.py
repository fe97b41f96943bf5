"""Placeholder: being built."""

import streamlit as st


def render() -> None:
    st.title("scenarios_page")

"""This quarter: the quarter's story for the meeting (places new, escalated, persistent or
no longer active compared with the previous quarter)."""

from __future__ import annotations

import streamlit as st

from geo.roles import Role
from ui import auth

auth.require_role(Role.ANALYST, Role.PARTNERSHIP)
st.title("This quarter")

"""Hypothesis strategies several test modules share."""

from __future__ import annotations

from hypothesis import strategies as st

# Anything JSON can hold, small: what a damaged or foreign stored file may contain.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)

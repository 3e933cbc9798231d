"""The production stack: nginx configuration, Streamlit settings, the local stack (stack.py)."""

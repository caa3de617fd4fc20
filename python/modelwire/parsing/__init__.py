"""Provider responses to canonical types: the pure-Python twin and dispatch to the Rust extension."""

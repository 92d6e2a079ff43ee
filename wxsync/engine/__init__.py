"""The engine: what changed, what to do (pure planning), doing it on WeChat exactly once, the state file."""

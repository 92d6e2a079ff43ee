"""Talking to the WeChat Official Account API: the client, its errors, and a local emulator."""

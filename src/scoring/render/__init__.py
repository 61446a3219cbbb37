"""Renderers: a frozen `Result` in, bytes or text out; pure, so every output is reproducible."""

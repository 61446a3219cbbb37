"""Streaming: very large inputs scored a part at a time in several processes."""

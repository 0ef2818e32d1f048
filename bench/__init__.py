"""The course's benchmark: what the lessons claim, measured on this engine (`make bench`).

Pure parts (``stats``, ``goals``, ``report``) never touch the engine; ``lab`` is the only part that
builds and runs anything, and it does so through ``checker.engine``.
"""

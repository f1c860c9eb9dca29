"""The library's version, in its own module so that any module can read it without importing ``abcdl``."""

__version__ = "0.1.0"

"""Version of this ddsp reimplementation (not the original's 3.7.0)."""

__version__ = '4.0.0'

"""Colab / Jupyter helpers and notebooks for DDSP."""

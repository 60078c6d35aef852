"""Thin, typed wrappers over one AWS service each; clients are always passed in."""

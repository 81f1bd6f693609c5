"""A local, protocol-faithful Binance.US exchange for development and tests.

The package implements the public API specification independently of the client package
(`binanceus`): nothing here imports it, so the two can check each other.
"""

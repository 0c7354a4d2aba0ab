"""Loopback simulators of the providers' APIs, written from their documents."""

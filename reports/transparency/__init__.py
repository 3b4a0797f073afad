"""Transparency reports (law-enforcement requests, EU DSA orders) and the operations dashboard."""

"""Claim modules, one per part of the paper; importing one registers its claims."""

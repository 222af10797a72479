"""Outbound webhooks: integrators subscribe URLs to business events and receive signed POSTs."""

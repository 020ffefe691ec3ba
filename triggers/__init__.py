"""Horizon's triggers: notifications (email, REST webhooks) that profiles fire on request and
certificate events, run in the background with retries, and recorded as ``triggerResults``."""

"""Messages to users: in-app notifications, e-mail and an optional outgoing webhook.

The platform knows no domain: callers (the reminder sweep, case workflows) say what to
tell whom; this app stores it, shows it and delivers it once per channel.
"""

"""Notification channel adapters: SMTP e-mail, Alibaba Cloud SMS, the developer outbox."""

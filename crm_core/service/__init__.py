"""Service: tickets, queues, SLA and CSAT."""

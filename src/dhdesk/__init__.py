"""dhdesk: offline data-health desk for 健康保険組合・共済組合 offices."""

__version__ = "0.1.0"

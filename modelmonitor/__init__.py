"""ModelMonitor: declarative SageMaker model monitoring."""

__version__ = "0.1.0"

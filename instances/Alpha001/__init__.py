"""Infrastructure Alpha001's partitions."""

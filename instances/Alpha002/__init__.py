"""Infrastructure Alpha002's partitions."""

"""Purpose stacks: one per capability a partition gets."""

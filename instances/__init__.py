"""One module per partition: `instances/{infrastructure}/{partition}.py` exports `CONFIG`."""

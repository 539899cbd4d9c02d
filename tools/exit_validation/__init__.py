"""Exit validation: pre-merge code checks and post-merge checks of a deployed partition."""

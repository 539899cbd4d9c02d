"""`./amm.sh plan`: where the rollout stands, read-only - every stack, its diff, its context
block, Postmark, DNS and the cascade side by side, and the next safe command."""

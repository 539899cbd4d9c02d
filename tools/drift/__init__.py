"""Drift detection core shared by `runtime-platform-drift` and `corporate-drift` (DQ-R1-018).

One job per module:

* `expected`   - what each sending domain should look like (placement + context).
* `dns_probe`  - live DNS observations through dnspython and a chosen resolver.
* `postmark_probe` - live Postmark Domains API observations, one listing per account.
* `checks`     - pure comparisons of expectations and observations into findings.
* `runner`     - runs the probes concurrently, each with its own time limit.
* `render`     - the human table, JSON and the Markdown issue body.
* `github_issue` - opens (or comments on) the labelled drift issue.
* `cli`        - the argument parsing and exit codes both drivers share.
"""

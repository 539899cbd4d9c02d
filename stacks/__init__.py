"""CloudFormation stacks: each composes constructs and takes validated, typed inputs."""

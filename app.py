"""Entry point the CDK CLI runs (`cdk.json`); the app itself is `apps.partition_mail`."""

import sys

from apps.partition_mail import main

if __name__ == "__main__":
    sys.exit(main())

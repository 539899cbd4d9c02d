"""Read a token with `op read` for `amm.sh`, under the same rule as the Python tools.

    python -m tools.op_token [--timeout SECONDS] [--mask-fd FD] <op://reference>

Prints the normalised token on stdout (no newline) for `amm.sh` to capture; nothing else
goes there. Under GitHub Actions each line of the raw value is masked first, on file
descriptor FD (the job's stdout, since ours is captured). The token rule
(`tools.lib.token_rule`) strips surrounding whitespace once and refuses inner whitespace
or control characters, so the value `amm.sh` hands to the pre-deploy CLI, the verifier
and the NoEcho parameter is the very value that was checked. Exit 0 with the token, 1 when
`op` fails or the value breaks the rule (one line on stderr), 2 on bad usage.
"""

from __future__ import annotations

import os

from tools.lib import logger
from tools.lib.account_token import read_op_token
from tools.lib.cli_args import ToolArgumentParser, name, seconds
from tools.lib.entry import run_tool
from tools.lib.op_resolver import DEFAULT_OP_TIMEOUT_SECONDS, OpError
from tools.lib.token_rule import TokenRejected

EXIT_FAILED = 1


def main(argv: list[str] | None = None) -> int:
    parser = ToolArgumentParser(prog="python -m tools.op_token", description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=name, help="1Password secret reference, op://vault/item/field")
    parser.add_argument("--timeout", type=seconds, default=DEFAULT_OP_TIMEOUT_SECONDS, metavar="SECONDS")
    parser.add_argument(
        "--mask-fd", type=int, metavar="FD", help="write ::add-mask:: lines to this descriptor"
    )
    args = parser.parse_args(argv)
    if not args.reference.startswith("op://"):
        parser.error(f"{args.reference!r} is not an op:// reference")
    if args.mask_fd is not None:
        try:
            logger.send_masks_to(os.fdopen(args.mask_fd, "w", closefd=False))
        except OSError:
            parser.error(f"--mask-fd {args.mask_fd} is not an open descriptor")
    try:
        token = read_op_token(args.reference, timeout=args.timeout)
    except (OpError, TokenRejected) as exc:
        logger.error(str(exc))
        return EXIT_FAILED
    logger.hand_over(token)
    return 0


if __name__ == "__main__":
    run_tool(main)

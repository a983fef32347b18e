"""Command line of the mirror.

``python -m gdcac_mirror build [--rendering nfw|cagd] [--out DIR] [--scale N] [--seed N]``
    Build a mirror (default: the standard mirror into the committed ``gdcac_mirror/site/``, or with
    ``--rendering cagd`` into ``gdcac_mirror/site_cagd/``; a benchmark mirror, ``--scale N``, needs ``--out``
    and exists in the first rendering only).  Prints a one-line summary.
``python -m gdcac_mirror serve [--rendering nfw|cagd] [--root DIR] [--host 127.0.0.1] [--port 0] [--state 1|2]
[--faults FILE]``
    Serve a built mirror (default: the rendering's committed one); prints exactly ``serving http://HOST:PORT/``
    and runs until SIGTERM or SIGINT.
    ``--state 2`` starts in the mirror's second state; ``--faults FILE`` starts with the fault plan in FILE
    (JSON, as ``POST /__mirror__/faults`` takes it).  Both can be switched at run time (see ``server``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from gdcac_mirror import RENDERINGS, rendering_dir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gdcac_mirror",
                                     description="The offline mirror of www.gdcac.gov.cn's 政策法规 section.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build a mirror into a directory")
    _rendering_option(build)
    build.add_argument("--out", default=None,
                       help="output directory (default for the standard mirror: the rendering's committed one)")
    build.add_argument("--scale", type=int, default=None, help="build a benchmark mirror of about N articles")
    build.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    serve = sub.add_parser("serve", help="serve a built mirror over HTTP")
    _rendering_option(serve)
    serve.add_argument("--root", default=None, help="the mirror to serve (default: the rendering's committed one)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free port)")
    serve.add_argument("--state", type=int, choices=(1, 2), default=1,
                       help="serve the mirror's first (default) or second state")
    serve.add_argument("--faults", default=None, metavar="FILE",
                       help='a JSON fault plan to start with: {"seed": N, "rules": [...]}')
    return parser


def _rendering_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rendering", choices=tuple(RENDERINGS), default="nfw",
                        help="nfw (default: the shared-platform image) or cagd (the second rendering)")


def _build(args: argparse.Namespace) -> int:
    if args.scale is not None and args.out is None:
        print("Error: --scale needs --out (the committed mirror is the standard one)", file=sys.stderr)
        return 2
    if args.scale is not None and args.rendering == "cagd":
        print("Error: rendering cagd is built for the standard mirror only (no --scale)", file=sys.stderr)
        return 2
    out = args.out or rendering_dir(args.rendering)
    started = time.monotonic()
    if args.rendering == "cagd":
        from gdcac_mirror.build_cagd import build_cagd

        manifest = build_cagd(out, seed=args.seed)
    else:
        from gdcac_mirror.build import build_site

        manifest = build_site(out, scale=args.scale, seed=args.seed)
    counts = manifest["counts"]
    print(f"built {counts['articles']} articles, {counts['offsite']} off-site items, "
          f"{counts['listing_pages']} listing pages in {out} ({time.monotonic() - started:.1f} s)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "build":
        return _build(args)
    try:
        root = args.root or rendering_dir(args.rendering, args.state)
    except ValueError as exc:  # e.g. --state 2 of a rendering built in state 1 only
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    from gdcac_mirror.faults import FaultPlan
    from gdcac_mirror.server import serve

    plan = None
    if args.faults is not None:
        try:
            with open(args.faults, encoding="utf-8") as fh:
                plan = FaultPlan.from_json(json.load(fh))
        except (OSError, ValueError) as exc:
            print(f"--faults {args.faults}: {exc}", file=sys.stderr)
            return 2
    try:
        serve(root, host=args.host, port=args.port, state=args.state, fault_plan=plan)
    except ValueError as exc:  # a state the mirror was built without
        print(str(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

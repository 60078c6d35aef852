"""`python -m humangov_deploy.iam_actions [--sites] [--write]`: the actions, or the rendered policy files."""

from __future__ import annotations

import argparse
import json
import sys

from humangov_deploy.iam_actions import __doc__ as PACKAGE_DOC
from humangov_deploy.iam_actions.paths import REPO_ROOT
from humangov_deploy.iam_actions.render import render_policies
from humangov_deploy.iam_actions.scan import derive, with_implied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m humangov_deploy.iam_actions", description=PACKAGE_DOC)
    parser.add_argument(
        "--sites", action="store_true", help="print each action with the call sites needing it"
    )
    parser.add_argument(
        "--write", action="store_true", help="render terraform/bootstrap/*-policy.json (Terraform templates)"
    )
    args = parser.parse_args(argv)
    found = derive()
    for site in found.unresolved:
        print(f"unresolved: {site.path}:{site.line} {site.service}.{site.method}", file=sys.stderr)
    if args.write:
        for path, document in render_policies().items():
            path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {path.relative_to(REPO_ROOT)}")
        return 1 if found.unresolved else 0
    for action in sorted(with_implied(found.actions)):
        where = found.actions.get(action)
        if args.sites and where:
            print(action, " ".join(sorted({f"{s.path}:{s.line}" for s in where})))
        else:
            print(action)
    return 1 if found.unresolved else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``leafletgen`` itself, recording each worker's resident memory after every
job it ran into the JSON file named by ``LEAFLETGEN_BENCH_RSS``. Used by
``bench.py batch``; the build is exactly the command line's."""

from __future__ import annotations

import json
import os
import sys

from leafletgen import cli


def main() -> int:
    samples: list[tuple[str, int | None]] = []
    build = cli.build

    def recording(project, options, on_result=None):
        def report(result, done, total):
            if result.entry:
                samples.append((result.worker, result.rss))
            if on_result:
                on_result(result, done, total)

        return build(project, options, on_result=report)

    cli.build = recording
    try:
        return cli.main(sys.argv[1:])
    finally:
        with open(os.environ["LEAFLETGEN_BENCH_RSS"], "w") as handle:
            json.dump(samples, handle)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m modelmonitor.analyzer`: the BYOC / Processing-job entrypoint of the analyzer image.

The image's CMD is the Lambda handler's name (what the Lambda base image's `/lambda-entrypoint.sh` runs). A
Processing job or Model Monitor execution that sets no ContainerArguments runs ENTRYPOINT + CMD, so that one
argument arrives here and means nothing to this entrypoint (the handler's first path too, for images run
with an older CMD); anything else is a usage error.
"""

import sys

from modelmonitor.analyzer.entry.byoc import FIRST_LAMBDA_HANDLER, LAMBDA_HANDLER, main

if sys.argv[1:] not in ([], [LAMBDA_HANDLER], [FIRST_LAMBDA_HANDLER]):
    print(f"usage: python -m modelmonitor.analyzer (configured by environment); unexpected arguments "
          f"{sys.argv[1:]}", file=sys.stderr)
    sys.exit(2)
sys.exit(main())

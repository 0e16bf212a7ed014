"""`python -m modelmonitor.analyzer`: the BYOC / Processing-job entrypoint of the analyzer image."""

import sys

from modelmonitor.analyzer.byoc import main

sys.exit(main())

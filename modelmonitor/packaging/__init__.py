"""How the analyzer reaches Lambda without Docker: a zip package on AWS's managed AWS SDK for pandas layer.

`layers` keeps the layer's pinned per-(region, Python, architecture) ARN table; `native` cross-compiles the
analyzer's C modules for Lambda's platform; `lambda_zip` assembles the function's zip (our analyzer sources, those
modules, orjson's manylinux wheel) and `locate` tells the Pulumi components where the built zip is. Pure Python and
the standard library only: setup.py imports `native` before anything is installed.
"""

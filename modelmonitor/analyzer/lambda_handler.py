"""The analyzer Lambda's handler under its first path, `modelmonitor.analyzer.lambda_handler.handler`.

Functions created before the analyzer's layer folders name this path in their ImageConfig.Command (and the image's
CMD did); it keeps them working after an image update. New stacks use `entry.lambda_handler.handler`. Remove it
once no deployed function names it."""

from modelmonitor.analyzer.entry.lambda_handler import handler

__all__ = ["handler"]

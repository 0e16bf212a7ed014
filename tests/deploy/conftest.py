"""The RBAC test runs the real operator (async); it needs the same leftover-loop cleanup as tests/operator."""

from tests.operator.conftest import close_leftover_main_loop

__all__ = ["close_leftover_main_loop"]
